#!/usr/bin/env python3
"""Turns a `vigil device add` bundle into the CSV that ESP-IDF's nvs_partition_gen.py makes an
(encrypted) NVS partition image from, so the device secret and private key reach the ESP32 in
encrypted NVS instead of in the application image.

usage: bundle_to_nvs.py BUNDLE_DIR OUT.csv [--broker mqtts://host:port ...]

The CSV holds the secret: it is written with mode 0600; delete it after making the image
(firmware/README.md, "Flash a device from a bundle").
"""
import argparse
import json
import os
import re
import sys

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
BROKER_RE = re.compile(r"^mqtts://(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")


def b64url_decode(text: str) -> bytes:
    import base64

    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != text:
        raise ValueError("secret is not canonical base64url")
    return raw


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("out")
    ap.add_argument("--broker", action="append", default=[], help="ordered failover list (default: broker_url)")
    args = ap.parse_args()
    with open(os.path.join(args.bundle, "device.json"), encoding="utf-8") as f:
        info = json.load(f)
    problems = []
    if not ID_RE.match(str(info.get("id", ""))):
        problems.append("id is not a device id")
    if info.get("profile") not in ("vaccine-transport", "patient-vitals", "temperature-probe"):
        problems.append("unknown profile")
    if info.get("alg") not in ("A256GCM", "ASCON128", "none"):
        problems.append("unknown alg")
    if not isinstance(info.get("kid"), int) or not 1 <= info["kid"] <= 2**31 - 1:
        problems.append("kid must be 1..2^31-1")
    if not SECRET_RE.match(str(info.get("secret", ""))):
        problems.append("secret must be 43 characters of base64url")
    brokers = args.broker or [info.get("broker_url", "")]
    for b in brokers:
        if not BROKER_RE.match(b):
            problems.append(f"broker {b!r} is not mqtts://host:port")
    pems = {name: os.path.join(os.path.abspath(args.bundle), f) for name, f in
            (("ca", "ca.crt"), ("cert", "device.crt"), ("key", "device.key"))}
    for path in pems.values():
        if not os.path.isfile(path):
            problems.append(f"{path} missing")
    if problems:
        for p in problems:
            print(f"bundle_to_nvs: {p}", file=sys.stderr)
        return 2
    secret = b64url_decode(info["secret"])
    rows = [
        "key,type,encoding,value",
        "vigil,namespace,,",
        f"id,data,string,{info['id']}",
        f"profile,data,string,{info['profile']}",
        f"kid,data,u32,{info['kid']}",
        f"alg,data,string,{info['alg']}",
        f"secret,data,hex2bin,{secret.hex()}",
        f"prefix,data,string,{info['topic_prefix']}",
        f"brokers,data,string,{' '.join(brokers)}",
        f"ca,file,string,{pems['ca']}",
        f"cert,file,string,{pems['cert']}",
        f"key,file,string,{pems['key']}",
    ]
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {args.out} for {info['id']} ({len(brokers)} broker(s)); it holds the secret: delete it after use")
    return 0


if __name__ == "__main__":
    sys.exit(main())
