#!/usr/bin/env python3
"""Writes the RFC 8448 seed corpora: fuzz/corpus/<target>/rfc8448-<name>.bin.

Reads clasp/testdata/rfc8448.txt (format in its header). Run from anywhere:
    python3 fuzz/seeds_from_rfc8448.py
The clasp-transcript seeds (a deterministic clasp client <-> clasp server run) are written by
    cargo test -p clasp-bench -- --ignored write_fuzz_transcript_seeds
"""
import pathlib
import re

here = pathlib.Path(__file__).resolve().parent
text = (here.parent / "clasp" / "testdata" / "rfc8448.txt").read_text()

vectors = {}
name = None
for line in text.splitlines():
    if line.startswith("#"):
        continue
    m = re.match(r"^(s\d+\.[a-z0-9_]+):\s*(.*)$", line)
    if m:
        name = m.group(1)
        vectors[name] = m.group(2)
    elif name is not None:
        vectors[name] += line
vectors = {k: bytes.fromhex(re.sub(r"\s+", "", v)) for k, v in vectors.items()}

MESSAGES = [
    "s3.client_hello", "s3.server_hello", "s3.encrypted_extensions", "s3.certificate",
    "s3.certificate_verify", "s3.server_finished", "s3.client_finished", "s3.new_session_ticket",
    "s4.client_hello", "s4.server_hello", "s4.encrypted_extensions", "s4.server_finished",
    "s4.client_finished", "s5.client_hello_1", "s5.hello_retry_request", "s5.client_hello_2",
    "s5.server_hello", "s5.encrypted_extensions", "s5.certificate", "s5.certificate_verify",
]
# What each connection target would receive from its peer, in order.
CLIENT = {
    "s3-server-flight": ["s3.server_hello_record", "s3.server_handshake_record",
                         "s3.new_session_ticket_record", "s3.server_application_data_record",
                         "s3.server_alert_record"],
    "s5-hrr": ["s5.hello_retry_request_record"],
    "s5-server-flight": ["s5.server_hello_record", "s5.server_handshake_record"],
}
SERVER = {
    "s3-client-flight": ["s3.client_hello_record", "s3.client_finished_record",
                         "s3.client_application_data_record", "s3.client_alert_record"],
    "s4-client-hello-psk": ["s4.client_hello_record", "s4.early_data_record"],
    "s5-client-hello-1": ["s5.client_hello_1_record"],
}


def write(target, name, data):
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"rfc8448-{name}.bin").write_bytes(data)


for n in MESSAGES:
    write("message", n, vectors[n])
for n in sorted(k for k in vectors if k.endswith("_record")):
    write("deframer", n, vectors[n])
for target, table in (("client", CLIENT), ("server", SERVER)):
    for name, parts in table.items():
        write(target, name, b"".join(vectors[p] for p in parts))
print("wrote", sum(1 for _ in (here / "corpus").rglob("rfc8448-*.bin")), "seed files")
