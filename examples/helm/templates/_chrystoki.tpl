{{/* Luna client configuration for the payments HA group. */}}
{{- define "payments.chrystoki" -}}
Chrystoki2 = {
   LibUNIX64 = /usr/safenet/lunaclient/lib/libCryptoki2_64.so;
}
LunaSA Client = {
   ReceiveTimeout = 20000;
{{- range $index, $host := .Values.hsm.hosts }}
   ServerName0{{ $index }} = {{ $host }};
   ServerPort0{{ $index }} = 1792;
   ServerHtl0{{ $index }} = 0;
{{- end }}
}
VirtualToken = {
   VirtualToken00Label = {{ .Values.hsm.label }};
   VirtualToken00SN = {{ .Values.hsm.serialNumber }};
   VirtualToken00Members = {{ .Values.hsm.members }};
}
HASynchronize = {
   {{ .Values.hsm.label }} = 1;
}
HAConfiguration = {
   HAOnly = 0;
   reconnAtt = -1;
   AutoReconnectInterval = 60;
   haLogStatus = enabled;
}
{{- end }}
