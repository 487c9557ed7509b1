#!/usr/bin/env python3
"""Lint the IGNY8 SAM template offline.

Usage: python infra/lint_template.py [path/to/template.yaml]

Steps (one summary line each; exit 0 only if all pass):
  1. cfn-lint on the SAM template itself;
  2. project rules cfn-lint does not know (no managed policies on functions,
     queue visibility >= 6x the consumer's timeout);
  3. translate to plain CloudFormation with samtranslator (stub managed
     policy loader: no AWS credentials, no network);
  4. cfn-lint on the translated CloudFormation, which is where most real
     problems show up (cfn-lint barely checks AWS::Serverless::* resources);
  5. the deploy rules of infra/deploy_rules.py (IAM per function against each
     crate's AWS_CALLS.md, alarms, logs, throttling, data, sizing, secrets,
     CORS), then the same rules on broken copies of the template, each of
     which must be caught (so no rule passes vacuously).

Error-level findings (E*) fail a step; warnings (W*) and informational
findings are printed (they fail only with --strict; the template is kept free
of warnings anyway).
Needs `cfn-lint` and `aws-sam-translator` (the project's .venv has both).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
from pathlib import Path

# samtranslator and cfn-lint look up a region through boto3; keep everything
# offline and credential-free.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yaml"
REGION = os.environ["AWS_DEFAULT_REGION"]

try:
    from cfnlint.api import lint_file
    from cfnlint.config import ManualArgs
    from cfnlint.decode import cfn_yaml
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"lint_template: missing dependency ({exc}); install cfn-lint and aws-sam-translator", file=sys.stderr)
    sys.exit(2)


class StubManagedPolicyLoader:
    """Managed-policy loader that never calls IAM.

    samtranslator only needs it to resolve managed policy *names* to ARNs; the
    template uses policy templates and inline statements, so an empty map is
    enough (a bare managed-policy name would then surface as a lint error).
    """

    def load(self) -> dict[str, str]:
        return {}


def run_cfn_lint(path: Path) -> list:
    """Run cfn-lint as a library on one file; return its matches."""
    return list(lint_file(path, config=ManualArgs(regions=[REGION])))


def report(step: str, matches: list, strict: bool, show_lines: bool = True) -> bool:
    errors = [m for m in matches if m.rule.id.startswith("E")]
    warnings = [m for m in matches if m.rule.id.startswith("W")]
    infos = [m for m in matches if not m.rule.id.startswith(("E", "W"))]
    for m in matches:
        # The translated template lives in a temp file: its resource path says
        # more than a line number there.
        where = "/".join(str(p) for p in getattr(m, "path", None) or [])
        loc = where or f"{m.filename}:{m.linenumber}:{m.columnnumber}"
        if where and show_lines:
            loc = f"{Path(m.filename).name}:{m.linenumber} {where}"
        print(f"    {m.rule.id} {loc}: {m.message}")
    ok = not errors and not (strict and warnings)
    status = "ok" if ok else "FAILED"
    print(f"[{status}] {step}: {len(errors)} error(s), {len(warnings)} warning(s), {len(infos)} info")
    return ok


# Properties that `sam build`/`sam package` turn from a local path into an S3
# location; samtranslator only accepts the latter, so stand in a placeholder
# (this is what `sam validate` and older cfn-lint releases do too).
_LOCAL_URI_PROPS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}
_PLACEHOLDER_S3_URI = "s3://igny8-lint-placeholder/code.zip"


def _replace_local_uris(sam: dict) -> None:
    def fix(props: dict, key: str) -> None:
        value = props.get(key)
        if isinstance(value, str) and not value.startswith("s3://"):
            props[key] = _PLACEHOLDER_S3_URI

    globals_ = sam.get("Globals") or {}
    if isinstance(globals_.get("Function"), dict):
        fix(globals_["Function"], "CodeUri")
    for resource in (sam.get("Resources") or {}).values():
        key = _LOCAL_URI_PROPS.get(resource.get("Type")) if isinstance(resource, dict) else None
        if key and isinstance(resource.get("Properties"), dict):
            fix(resource["Properties"], key)


def check_project_rules(sam: dict) -> bool:
    """Rules of this project that neither cfn-lint nor samtranslator enforce.

    * Function policies are SAM policy templates or inline statements, never
      AWS managed-policy names/ARNs (samtranslator silently resolves a bare
      name such as AmazonDynamoDBFullAccess from its bundled list).
    * A queue feeding a function has VisibilityTimeout >= 6 x the function's
      timeout (cfn-lint only checks >= 1 x).
    """
    problems = []
    globals_fn = (sam.get("Globals") or {}).get("Function") or {}
    sources = [("Globals/Function", globals_fn)] + [
        (f"Resources/{lid}", (res.get("Properties") or {}))
        for lid, res in (sam.get("Resources") or {}).items()
        if isinstance(res, dict) and res.get("Type") in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
    ]
    for where, props in sources:
        policies = props.get("Policies")
        if policies is None:
            continue
        if not isinstance(policies, list):
            policies = [policies]
        for i, pol in enumerate(policies):
            if isinstance(pol, str) or (isinstance(pol, dict) and set(pol) & {"Ref", "Fn::Sub", "Fn::Join", "Fn::If"}):
                problems.append(f"{where}/Policies/{i}: managed policy {pol!r}; use a SAM policy template or an inline Statement")
    resources = sam.get("Resources") or {}
    default_timeout = globals_fn.get("Timeout", 3)
    for lid, res in resources.items():
        if not isinstance(res, dict) or res.get("Type") != "AWS::Serverless::Function":
            continue
        props = res.get("Properties") or {}
        timeout = props.get("Timeout", default_timeout)
        for eid, event in (props.get("Events") or {}).items():
            if not isinstance(event, dict) or event.get("Type") != "SQS":
                continue
            queue = (event.get("Properties") or {}).get("Queue")
            getatt = queue.get("Fn::GetAtt") if isinstance(queue, dict) else None
            if isinstance(getatt, str):
                getatt = getatt.split(".", 1)
            if not getatt or getatt[0] not in resources:
                continue  # external queue: nothing to compare against
            qprops = resources[getatt[0]].get("Properties") or {}
            visibility = qprops.get("VisibilityTimeout", 30)
            if isinstance(timeout, int) and isinstance(visibility, int) and visibility < 6 * timeout:
                problems.append(
                    f"Resources/{getatt[0]}/Properties/VisibilityTimeout: {visibility} < 6 x {lid} Timeout ({timeout}) = {6 * timeout}"
                )
    for p in problems:
        print(f"    {p}")
    status = "ok" if not problems else "FAILED"
    print(f"[{status}] project rules (no managed policies, queue visibility >= 6x timeout): {len(problems)} problem(s)")
    return not problems


def load_sam(template_path: Path) -> dict | None:
    """Parse the template with cfn-lint's decoder (understands !Ref, !Sub...)."""
    try:
        sam = cfn_yaml.load(str(template_path))
    except Exception as exc:  # cfn-lint decode errors carry their own message
        print(f"[FAILED] parse {template_path}: {exc}")
        return None
    # The decoder's dict/str subclasses carry line numbers; plain JSON types
    # keep samtranslator's deepcopy/py27 shims happy.
    return json.loads(json.dumps(sam))


def translate(sam: dict, quiet: bool = False) -> dict | None:
    """SAM -> CloudFormation; None (after printing why) if it fails."""
    sam = copy.deepcopy(sam)
    _replace_local_uris(sam)
    # samtranslator's metrics publisher warns on every translation.
    import logging
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    try:
        cfn = transform(sam, {}, StubManagedPolicyLoader())
    except InvalidDocumentException as exc:
        print(f"[FAILED] sam translate: {len(exc.causes)} problem(s)")
        for cause in exc.causes:
            print(f"    {getattr(cause, 'message', cause)}")
        return None
    except Exception as exc:  # samtranslator bugs or unexpected shapes
        print(f"[FAILED] sam translate: {type(exc).__name__}: {exc}")
        return None
    n = len(cfn.get("Resources", {}))
    if quiet:
        return cfn
    print(f"[ok] sam translate: {len(sam.get('Resources', {}))} SAM resources -> {n} CloudFormation resources")
    return cfn


def check_deploy_rules(sam: dict, cfn: dict) -> bool:
    """Runs deploy_rules on the template, then proves each rule can fail."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import deploy_rules

    ok = True
    results = deploy_rules.run_rules(sam, cfn)
    for name, items, _ in deploy_rules.RULES:
        problems = results[name]
        for p in problems:
            print(f"    {p}")
        status = "ok" if not problems else "FAILED"
        print(f"[{status}] deploy rule {name} ({items}): {len(problems)} problem(s)")
        ok = ok and not problems
    rules = {name: fn for name, _, fn in deploy_rules.RULES}
    missed = []
    for name, what, mutate in deploy_rules.MUTATIONS:
        broken = deploy_rules.mutated(sam, mutate)
        broken_cfn = cfn
        if name == "iam":
            broken_cfn = translate(broken, quiet=True)
            if broken_cfn is None:
                continue  # the translation itself refused it: caught
        if not rules[name](broken, broken_cfn):
            missed.append(f"{name}: {what}")
    for m in missed:
        print(f"    rule missed a broken template: {m}")
    status = "ok" if not missed else "FAILED"
    print(f"[{status}] deploy rules catch {len(deploy_rules.MUTATIONS) - len(missed)}/{len(deploy_rules.MUTATIONS)} broken templates")
    return ok and not missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default=str(DEFAULT_TEMPLATE))
    parser.add_argument("--strict", action="store_true", help="also fail on cfn-lint warnings")
    parser.add_argument("--keep", metavar="FILE", help="also write the translated CloudFormation JSON to FILE")
    args = parser.parse_args(argv)

    template_path = Path(args.template).resolve()
    if not template_path.is_file():
        print(f"[FAILED] template not found: {template_path}")
        return 1

    ok = report("cfn-lint (SAM template)", run_cfn_lint(template_path), args.strict)

    sam = load_sam(template_path)
    if sam is None:
        print("template lint: FAIL")
        return 1
    ok = check_project_rules(sam) and ok

    cfn = translate(sam)
    if cfn is None:
        print("[FAILED] cfn-lint (translated CloudFormation): skipped, translation failed")
        print("template lint: FAIL")
        return 1

    if args.keep:
        Path(args.keep).write_text(json.dumps(cfn, indent=2) + "\n")

    with tempfile.TemporaryDirectory(prefix="igny8-lint-") as tmp:
        out = Path(tmp) / "template.translated.json"
        out.write_text(json.dumps(cfn, indent=2) + "\n")
        ok = report("cfn-lint (translated CloudFormation)", run_cfn_lint(out), args.strict, show_lines=False) and ok

    ok = check_deploy_rules(sam, cfn) and ok

    print("template lint: PASS" if ok else "template lint: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
