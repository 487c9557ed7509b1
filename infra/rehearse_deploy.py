#!/usr/bin/env python3
"""Deploy rehearsal, second half: the artifacts of `sam build` onto the
emulator's CloudFormation.

Usage: python infra/rehearse_deploy.py --endpoint http://127.0.0.1:PORT [--build-dir .aws-sam/build]

What it does, as `sam deploy` would, minus AWS:
  1. reads the built template (`.aws-sam/build/template.yaml`, whose CodeUri
     point at each function's artifact directory), zips every artifact and
     uploads it to a bucket on the emulator, pointing CodeUri at it;
  2. translates the SAM template to CloudFormation with samtranslator (as
     CloudFormation's transform would) and creates the stack on the emulator;
  3. checks that every resource of the translated template was created,
     except those whose type the emulator cannot create, which it names;
  4. checks each Lambda function (code from our artifact, runtime, handler,
     architecture, its own role, environment), each role's inline policies,
     and each event source mapping (queue, batch size, partial batch responses).

Prints one line per check and `deploy rehearsal: PASS` or `FAIL`; exits 0
only on PASS.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import boto3  # noqa: E402  (moto brings boto3 into the project's venv)
import lint_template  # noqa: E402

PARAMETERS = {
    "AiProvider": "offline",
    "CorsAllowOrigin": "https://app.example.com",
    "Architecture": "x86_64",
}

# Resource types moto 5.2's CloudFormation does not create (it skips them and
# still completes the stack). The rehearsal names each one it meets and checks
# everything else; a type missing from this list that is not created fails.
EMULATOR_CANNOT_CREATE = {
    "AWS::ApiGatewayV2::Api": "moto's CloudFormation has no ApiGatewayV2 resources",
    "AWS::ApiGatewayV2::Stage": "moto's CloudFormation has no ApiGatewayV2 resources",
    "AWS::Lambda::Permission": "moto's CloudFormation does not model Lambda permissions",
    "AWS::Lambda::EventInvokeConfig": "moto's CloudFormation does not model event invoke configs",
    "AWS::Scheduler::Schedule": "moto's CloudFormation does not create Scheduler schedules",
    "AWS::Scheduler::ScheduleGroup": "moto's CloudFormation does not create Scheduler schedule groups",
    "AWS::CloudWatch::Alarm": "moto's CloudFormation does not create alarms",
    "AWS::SecretsManager::Secret": "moto's CloudFormation does not create Secrets Manager secrets",
    "AWS::S3::BucketPolicy": "moto's CloudFormation does not list bucket policies as stack resources",
    # moto 5.2 has a CloudFront API but no CloudFormation model for it: the
    # distribution, its origin access control and the SPA route function are
    # skipped (template lint's `web` rule checks their configuration instead).
    "AWS::CloudFront::Distribution": "moto's CloudFormation has no CloudFront resources",
    "AWS::CloudFront::OriginAccessControl": "moto's CloudFormation has no CloudFront resources",
    "AWS::CloudFront::Function": "moto's CloudFormation has no CloudFront resources",
}


def client(name: str, endpoint: str):
    return boto3.client(name, endpoint_url=endpoint, region_name=os.environ["AWS_DEFAULT_REGION"])


class Checks:
    def __init__(self) -> None:
        self.failed = 0
        self.passed = 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"[FAILED] {what}{': ' + detail if detail else ''}")
        return ok


def zip_dir(path: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(path.rglob("*")):
            if f.is_file():
                info = zipfile.ZipInfo(str(f.relative_to(path)))
                info.external_attr = (f.stat().st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, f.read_bytes())
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--build-dir", default=str(lint_template.REPO_ROOT / ".aws-sam" / "build"))
    ap.add_argument("--stack", default=f"igny8-rehearsal-{int(time.time())}")
    args = ap.parse_args(argv)
    started = time.time()
    build = Path(args.build_dir)
    c = Checks()

    sam = lint_template.load_sam(build / "template.yaml")
    if sam is None:
        print("deploy rehearsal: FAIL (the built template does not parse)")
        return 1
    functions = {k: v for k, v in sam["Resources"].items() if v.get("Type") == "AWS::Serverless::Function"}

    # 1. artifacts -> the emulator's S3 (what `sam deploy` uploads).
    s3 = client("s3", args.endpoint)
    bucket = f"{args.stack}-artifacts".lower()
    s3.create_bucket(Bucket=bucket)
    zips = {}
    for fid, fn in functions.items():
        code_uri = (fn.get("Properties") or {}).get("CodeUri")
        art = build / str(code_uri)
        if not c.check(isinstance(code_uri, str) and (art / "bootstrap").is_file(), f"{fid}: built artifact", f"no bootstrap under {art}"):
            continue
        data = zip_dir(art)
        zips[fid] = data
        s3.put_object(Bucket=bucket, Key=f"{fid}.zip", Body=data)
        fn["Properties"]["CodeUri"] = f"s3://{bucket}/{fid}.zip"
    print(f"[ok] uploaded {len(zips)} function artifact(s) to s3://{bucket}/ ({sum(map(len, zips.values())) / 1e6:.1f} MB zipped)")

    # 2. SAM -> CloudFormation -> the emulator.
    cfn_doc = lint_template.translate(sam)
    if cfn_doc is None:
        print("deploy rehearsal: FAIL (translation)")
        return 1
    cfn = client("cloudformation", args.endpoint)
    cfn.create_stack(
        StackName=args.stack,
        TemplateBody=json.dumps(cfn_doc),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMETERS.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    status = "?"
    for _ in range(600):
        stack = cfn.describe_stacks(StackName=args.stack)["Stacks"][0]
        status = stack["StackStatus"]
        if status != "CREATE_IN_PROGRESS":
            break
        time.sleep(0.2)
    if not c.check(status == "CREATE_COMPLETE", f"stack {args.stack}", f"{status}: {stack.get('StackStatusReason')}"):
        print("deploy rehearsal: FAIL")
        return 1
    print(f"[ok] stack {args.stack}: CREATE_COMPLETE")

    # 3. every resource created, or named as one the emulator cannot create.
    listed = {
        r["LogicalResourceId"]: r
        for r in cfn.describe_stack_resources(StackName=args.stack)["StackResources"]
        if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
    }
    skipped: dict[str, list[str]] = {}
    created = 0
    for lid, res in cfn_doc["Resources"].items():
        rtype = res["Type"]
        if lid in listed:
            created += 1
            continue
        if rtype in EMULATOR_CANNOT_CREATE:
            skipped.setdefault(rtype, []).append(lid)
            continue
        c.check(False, f"{lid} ({rtype})", "not created by the emulator's CloudFormation")
    print(f"[ok] {created} of {len(cfn_doc['Resources'])} resources created on the emulator")
    for rtype, ids in sorted(skipped.items()):
        print(f"[not checked] {rtype} x{len(ids)}: the emulator cannot create it ({EMULATOR_CANNOT_CREATE[rtype]}): {', '.join(sorted(ids))}")

    # The web app's bucket (where the README's deploy step uploads the build).
    web_bucket = listed.get("WebBucket", {}).get("PhysicalResourceId")
    if c.check(web_bucket is not None, "WebBucket: the web app's bucket created"):
        client("s3", args.endpoint).head_bucket(Bucket=web_bucket)
        print(f"[ok] web app bucket {web_bucket} exists")
        print("[not checked] WebBucket public access block: moto's CloudFormation does not apply it (template lint's web rule checks it)")

    # 4. functions, their roles and their event source mappings.
    lam, iam = client("lambda", args.endpoint), client("iam", args.endpoint)
    phys = {lid: r["PhysicalResourceId"] for lid, r in listed.items()}
    table = phys.get("Table")
    mappings_checked = 0
    for fid in functions:
        name = phys.get(fid)
        if not c.check(name is not None, f"{fid}: Lambda function created"):
            continue
        conf = lam.get_function(FunctionName=name)["Configuration"]
        c.check(conf.get("Runtime") == "provided.al2023" and conf.get("Handler") == "bootstrap", f"{fid}: runtime/handler", f"{conf.get('Runtime')}/{conf.get('Handler')}")
        c.check(conf.get("Architectures") in (["x86_64"], None), f"{fid}: architecture", str(conf.get("Architectures")))
        c.check(conf.get("CodeSize") == len(zips.get(fid, b"")), f"{fid}: code is our artifact", f"CodeSize {conf.get('CodeSize')} vs zip {len(zips.get(fid, b''))}")
        env = (conf.get("Environment") or {}).get("Variables") or {}
        c.check(env.get("TABLE_NAME") == table and env.get("IGNY8_ENV") == "aws", f"{fid}: environment", json.dumps(env)[:200])
        role_id = f"{fid}Role"
        role_name = phys.get(role_id)
        if c.check(role_name is not None, f"{fid}: role {role_id} created"):
            role = iam.get_role(RoleName=role_name)["Role"]
            c.check(conf.get("Role") == role["Arn"], f"{fid}: runs with its own role", f"{conf.get('Role')} vs {role['Arn']}")
            want = {p["PolicyName"] for p in cfn_doc["Resources"][role_id]["Properties"].get("Policies") or []}
            have = set(iam.list_role_policies(RoleName=role_name)["PolicyNames"])
            c.check(want <= have, f"{fid}: role's inline policies", f"missing {sorted(want - have)}")
            for pname in sorted(want & have):
                doc = iam.get_role_policy(RoleName=role_name, PolicyName=pname)["PolicyDocument"]
                if isinstance(doc, str):  # moto answers the document as text (JSON, or a Python repr)
                    try:
                        doc = json.loads(urllib.parse.unquote(doc))
                    except ValueError:
                        doc = ast.literal_eval(doc)
                c.check(bool(doc.get("Statement")), f"{fid}: policy {pname} has statements")
        sqs_events = {
            eid: ev["Properties"] for eid, ev in (functions[fid]["Properties"].get("Events") or {}).items() if ev.get("Type") == "SQS"
        }
        if sqs_events:
            got = lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
            for eid, p in sqs_events.items():
                queue_lid = p["Queue"]["Fn::GetAtt"][0]
                queue_url = phys.get(queue_lid)
                arn = client("sqs", args.endpoint).get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] if queue_url else None
                m = [x for x in got if x.get("EventSourceArn") == arn]
                if c.check(len(m) == 1, f"{fid}/{eid}: event source mapping from {queue_lid}", f"{len(m)} mapping(s) for {arn}"):
                    mappings_checked += 1
                    c.check(m[0].get("BatchSize") == p.get("BatchSize"), f"{fid}/{eid}: batch size", f"{m[0].get('BatchSize')} vs {p.get('BatchSize')}")
                    c.check(m[0].get("FunctionResponseTypes") == ["ReportBatchItemFailures"], f"{fid}/{eid}: partial batch responses", str(m[0].get("FunctionResponseTypes")))
    print(f"[ok] {len(functions)} functions, their roles and {mappings_checked} event source mapping(s) checked")
    cfn.delete_stack(StackName=args.stack)
    verdict = "PASS" if c.failed == 0 else "FAIL"
    print(f"deploy rehearsal: {verdict} ({c.passed} checks ok, {c.failed} failed, {time.time() - started:.1f} s)")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
