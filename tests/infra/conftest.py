"""Fixtures for the CDK tier: the real app, synthesized once per session (cdk-nag on)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
INFRA_ALIAS = "ottwatch_infra"


def load_infra() -> ModuleType:
    """Import the repo's infra/ package as ``ottwatch_infra``.

    Under pytest's default import mode this directory (tests/infra, a package inside the rootless tests/) is
    itself imported as ``infra``, so ``import infra`` would find the tests. infra/ uses relative imports
    only, so it works under any name.
    """
    if INFRA_ALIAS in sys.modules:
        return sys.modules[INFRA_ALIAS]
    spec = importlib.util.spec_from_file_location(
        INFRA_ALIAS, INFRA_DIR / "__init__.py", submodule_search_locations=[str(INFRA_DIR)]
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[INFRA_ALIAS] = module
    spec.loader.exec_module(module)
    return module


load_infra()

from ottwatch_infra import stack as infra_stack  # noqa: E402


@dataclass(frozen=True)
class Synth:
    stack: object
    outdir: Path
    template: dict  # the synthesized CloudFormation template

    def resources(self, type_: str) -> dict[str, dict]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == type_}

    def logical_id(self, construct) -> str:
        """Logical id of an L2's CloudFormation resource."""
        return self.stack.get_logical_id(construct.node.default_child)

    def routes(self) -> dict[tuple[str, str], dict]:
        """The API's methods: (HTTP method, path such as /v1/status/{service}) -> the Method's properties."""
        resources = self.resources("AWS::ApiGateway::Resource")

        def path_of(resource_ref) -> str:
            if not isinstance(resource_ref, dict) or "Ref" not in resource_ref:
                return ""  # the root resource (Fn::GetAtt RootResourceId)
            props = resources[resource_ref["Ref"]]["Properties"]
            return f"{path_of(props['ParentId'])}/{props['PathPart']}"

        return {
            (m["Properties"]["HttpMethod"], path_of(m["Properties"]["ResourceId"])): m["Properties"]
            for m in self.resources("AWS::ApiGateway::Method").values()
        }

    def statements(self, role) -> list[dict]:
        """Every Allow/Deny statement granted to ``role``: its inline policies and the policies attached to it."""
        role_id = self.logical_id(role)
        docs = [p["PolicyDocument"] for p in self.template["Resources"][role_id]["Properties"].get("Policies", [])]
        for policy in self.resources("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"].get("Roles", []):
                docs.append(policy["Properties"]["PolicyDocument"])
        return [st for doc in docs for st in doc["Statement"]]


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = infra_stack.build_app(outdir=str(outdir), context={"country": "IT"})
    assembly = app.synth()  # raises ValidationFailed if any AwsSolutions error is not fixed/acknowledged
    template = assembly.get_stack_artifact(stack.artifact_id).template
    return Synth(stack=stack, outdir=outdir, template=json.loads(json.dumps(template)))


@pytest.fixture(scope="session")
def template(synth):
    from aws_cdk.assertions import Template

    return Template.from_json(synth.template)
