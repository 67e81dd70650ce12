"""Vendor names of partition and HSM policies, by number (Luna 7, as LunaCM and LunaSH print
them), so an organisation policy may name a policy the way an operator reads it in a dump.

Rules and policies always compare by number; a name is only resolved to its number when the
policy file is read. Only names the vendor pages state are listed: a policy whose name is
unsure is written by its number.
"""

from __future__ import annotations

PARTITION_POLICIES: dict[int, str] = {
    0: "Allow private key cloning",
    1: "Allow private key wrapping",
    2: "Allow private key unwrapping",
    3: "Allow private key masking",
    4: "Allow secret key cloning",
    5: "Allow secret key wrapping",
    6: "Allow secret key unwrapping",
    7: "Allow secret key masking",
    10: "Allow multipurpose keys",
    11: "Allow changing key attributes",
    17: "Allow signing with non-local keys",
    18: "Allow raw RSA operations",
    20: "Max failed user logins allowed",
    21: "Allow high availability recovery",
    22: "Allow activation",
    23: "Allow auto-activation",
    28: "Allow Key Management Functions",
    37: "Force Secure Trusted Channel",
    42: "Allow CPv1",
    43: "Allow non-FIPS algorithms",
}

HSM_POLICIES: dict[int, str] = {
    7: "Allow Cloning",
    12: "Allow non-FIPS algorithms",
    16: "Allow network replication",
    39: "Allow Secure Trusted Channel",
}


def number_of(name: str, table: dict[int, str]) -> int | None:
    """The number of the policy called ``name`` (case and spacing ignored), or None."""
    wanted = " ".join(name.split()).casefold()
    for number, known in table.items():
        if known.casefold() == wanted:
            return number
    return None
