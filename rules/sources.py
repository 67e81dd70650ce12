"""The vendor pages lunalint's rules rest on: Thales's public Luna HSM documentation.

Each rule cites one or more of these pages by title, doc-set version and address, so that an
operator or an auditor can read what the vendor says for themselves. An address is given only
when it is known; a page whose full address could not be verified is cited by its title and
doc set alone (``url`` empty), never by a guessed address.

Rules that rest on what is seen in real files, or on lunalint's own reasoning, say so with
:data:`SEEN` or :data:`INFERRED` and a plain-words statement instead (see
:class:`lunalint.rules.base.Rule`).
"""

from __future__ import annotations

from dataclasses import dataclass

# How sure a rule is of the fact behind it.
DOCUMENTED = "documented"  # a vendor page says it
SEEN = "seen"  # seen in real files, not stated by the vendor
INFERRED = "inferred"  # lunalint's own reasoning from what the vendor does say
OWN = "lunalint"  # the rule is about lunalint itself (suppressions): no vendor page applies
BASES = (DOCUMENTED, SEEN, INFERRED, OWN)


@dataclass(frozen=True, slots=True)
class Page:
    """A vendor documentation page."""

    title: str
    doc_set: str  # e.g. "Luna 7", "Luna 7.1", "Luna 6.3 SDK"
    url: str = ""  # empty when the page's full address is not verified

    def markdown(self) -> str:
        where = f"Thales {self.doc_set} documentation"
        if self.url:
            return f"[{self.title}]({self.url}) ({where})"
        return (f"*{self.title}* ({where}; the page has moved and its current address is not "
                "verified: search the doc set for the title)")


_NET7 = "https://thalesdocs.com/gphsm/luna/7/docs/network/Content"
_NET7W = "https://www.thalesdocs.com/gphsm/luna/7/docs/network/Content"

HA_TROUBLESHOOTING = Page("HA Troubleshooting", "Luna 7",
                          f"{_NET7}/admin_partition/ha/troubleshooting.htm")
CONFIG_FILE_SUMMARY = Page(
    "Configuration File Summary", "Luna 7.2 (client 7.2)",
    "https://thalesdocs.com/gphsm/luna/7.2/docs/network/Content/administration/config/"
    "config-file_summary.htm")
TIMEOUTS = Page("Timeouts (client connections)", "Luna 7",
                f"{_NET7}/admin_appliance/client_connections/timeouts.htm")
HA_LOGGING = Page("HA Logging", "Luna 7", f"{_NET7}/admin_partition/ha/logging.htm")
HA_ONLY = Page("HA-Only Mode", "Luna 7", f"{_NET7W}/admin_partition/ha/setup/haonly.htm")
HA_SETUP = Page("Setting Up an HA Group", "Luna 7", f"{_NET7W}/admin_partition/ha/setup.htm")
HA_RECOVERY = Page("HA Recovery", "Luna 7.1",
                   "https://thalesdocs.com/gphsm/luna/7.1/docs/network/Content/administration/"
                   "ha/recovery.htm")
HA_FAILOVER = Page("HA Failover", "Luna 7.1",
                   "https://thalesdocs.com/gphsm/luna/7.1/docs/pci/Content/administration/ha/"
                   "failover.htm")
HA_AUTORECOVERY = Page("Using the HA Auto-Recovery Feature", "Luna 6.0",
                       "https://thalesdocs.com/gphsm/luna/6.0/docs/pci/Content/administration/"
                       "ha/ha_autorecovery_feature_using.htm")
HA_STANDBY = Page("HA Standby Members", "Luna 7.1",
                  "https://thalesdocs.com/gphsm/luna/7.1/docs/pci/Content/administration/ha/"
                  "standby.htm")
HA_ADD_REMOVE = Page("Adding/Removing an HA Group Member", "Luna 7",
                     f"{_NET7W}/admin_partition/ha/manage/add_remove.htm")
HAGROUP_ADDMEMBER = Page("hagroup addmember", "Luna 7",
                         f"{_NET7W}/lunacm/commands/hagroup/hagroup_addmember.htm")
HA_REPLACE = Page("Replacing an HA Group Member", "Luna 7.3",
                  "https://thalesdocs.com/gphsm/luna/7.3/docs/pci/Content/administration/ha/"
                  "manage/replace.htm")
HA_UPDATE_GUIDELINES = Page("Guidelines for Updating/Converting when HA", "Luna 7",
                            f"{_NET7W}/admin_partition/ha/"
                            "guidelines_for_updating-converting_when_HA.htm")
HA_77_UPDATE = Page("HA with firmware 7.7", "Luna 7.7.0",
                    "https://thalesdocs.com/gphsm/luna/7.7.0/docs/network/Content/"
                    "admin_partition/ha/ha_7-7_update.htm")
FIRMWARE_770 = Page("Firmware 7.7.0 release notes", "Luna 7",
                    f"{_NET7W}/CRN/Luna/firmware/7-7-0.htm")
PARTITION_POLICIES = Page("Partition Capabilities and Policies", "Luna 7.2",
                          "https://thalesdocs.com/gphsm/luna/7.2/docs/network/Content/"
                          "configuration/partition_policies/partition_policies_ppso.htm")
PARTITION_SHOWPOLICIES = Page("partition showpolicies", "Luna 7",
                              f"{_NET7}/lunacm/commands/partition/partition_showpolicies.htm")
CLONING_KEY_EXPORT = Page("Cloning and Key Export", "Luna 7",
                          f"{_NET7W}/admin_partition/policies/cloning_key_export.htm")
HSM_POLICIES = Page("HSM Capabilities and Policies", "Luna 7",
                    f"{_NET7W}/admin_hsm/policies/hsm_capabilities_and_policies.htm")
STC_CREATE = Page("Creating an STC Connection", "Luna 7",
                  f"{_NET7}/admin_partition/connections/stc/create_stc.htm")
SLOT_NUMBERING = Page("Slot Numbering", "Luna 7", f"{_NET7}/admin_partition/slot_numbering.htm")
HA_ONLY_ENABLE = Page("Enabling/Disabling HA Only Mode", "Luna 7",
                      f"{_NET7W}/admin_partition/ha/setup/haonly.htm")
LUNACM_FEATURES = Page("LunaCM Features", "Luna 7 (PCIe)",
                       "https://thalesdocs.com/gphsm/luna/7/docs/pci/Content/lunacm/using/"
                       "lunacm_features.htm")
PCIE_74_LOCAL_PARTITION = Page(
    "Configuring a local password-authenticated partition", "Luna 7.4 (PCIe)",
    "https://thalesdocs.com/gphsm/luna/7.4/docs/pci/Content/configuration/partition_create/"
    "hsm-so_action_to_config_local_pw-ppso_partition_1b.htm")
CKLOG = Page("CKlog", "Luna 6.3 SDK (SDK utilities)")
RSA_REMAP = Page("RSA Mechanism Remap", "Luna 7.1 and 7.2 SDK")

ALL = tuple(v for v in dict(globals()).values() if isinstance(v, Page))
