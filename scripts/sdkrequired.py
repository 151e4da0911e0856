#!/usr/bin/env python3
"""Print, as apimodel extra.json entries, the inputs of the operations of the
current aws-sdk-go-v2 IAM and STS clients that Debian's botocore lacks: each
member with its type, and required as the SDK's validators require it.

    python3 scripts/sdkrequired.py > /tmp/new.json   # then merge by hand
"""
import glob, json, os, re, subprocess, sys

mod = subprocess.check_output(["go", "env", "GOMODCACHE"]).decode().strip()
here = os.path.dirname(os.path.abspath(__file__))
known = json.load(open(os.path.join(here, "..", "apimodel", "models.json")))

enums = set()

def gotype(t):
    t = t.strip()
    if t.startswith("map["):
        return "map"
    if t.startswith("[]"):
        return "list"
    t = t.lstrip("*")
    if t == "string" or t in enums:
        return "string"
    if t in ("int32", "int64"):
        return "integer"
    if t == "bool":
        return "boolean"
    if t.startswith("time."):
        return "timestamp"
    return "structure"

out = {}
for svc in ("iam", "sts"):
    d = sorted(glob.glob(f"{mod}/github.com/aws/aws-sdk-go-v2/service/{svc}@*"))[-1]
    validators = open(os.path.join(d, "validators.go")).read()
    enums.clear()
    enums.update("types." + n for n in re.findall(r"^type (\w+) string$", (open(os.path.join(d, "types", "enums.go")).read() if os.path.exists(os.path.join(d, "types", "enums.go")) else ""), re.M))
    for f in sorted(glob.glob(os.path.join(d, "api_op_*.go"))):
        op = os.path.basename(f)[len("api_op_"):-3]
        if op in known[svc]:
            continue
        src = open(f).read()
        m = re.search(r"type %sInput struct \{(.*?)\n\}" % op, src, re.S)
        body = m.group(1) if m else ""
        v = re.search(r"func validateOp%sInput\(.*?\n\}\n" % op, validators, re.S)
        required = set(re.findall(r'NewErrParamRequired\("(\w+)"\)', v.group(0))) if v else set()
        fields = []
        for name, typ in re.findall(r"^\t([A-Z]\w*) ([^\n]+)$", body, re.M):
            f = {"name": name, "type": gotype(typ)}
            if name in required:
                f["required"] = True
            if f["type"] == "list":
                f["members"] = [{"name": "member", "type": gotype(typ[2:])}]
            fields.append(f)
        out.setdefault(svc, {})[op] = fields
json.dump(out, sys.stdout, indent=1)
print()
