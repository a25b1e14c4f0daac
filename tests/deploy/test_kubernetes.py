"""The Kubernetes manifests, rendered by Kustomize as `kubectl apply -k` would, validated offline:
the built-in kinds against the Kubernetes API's schemas (kubernetes-validate, strict), the
operators' resources against their CRDs' schemas, and Vigil's own contract (commands, settings,
secrets as files, probes, requests, disruption budgets, autoscalers)."""

from __future__ import annotations

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from tests.deploy import contract, crd

pytestmark = pytest.mark.lint  # every test reads what `kubectl kustomize` renders
KUSTOMIZE = contract.DEPLOY / "kubernetes"
K8S_VERSIONS = ("1.29", "1.31", "1.33")  # the oldest supported release to a recent one


def _render() -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl (which renders Kustomize) is not installed")
    out = subprocess.run(
        [kubectl, "kustomize", str(KUSTOMIZE)],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return _render()


def _of(resources: list[dict], kind: str) -> dict[str, dict]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def _containers(resources: list[dict]) -> list[tuple[str, dict, dict]]:
    """(workload name, container, pod spec) of every Deployment and Job."""
    found = []
    for r in resources:
        if r["kind"] in ("Deployment", "Job"):
            pod = r["spec"]["template"]["spec"]
            found += [(r["metadata"]["name"], c, pod) for c in pod["containers"]]
    return found


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_built_in_resource_validates_strictly(resources: list[dict], version: str) -> None:
    built_in = [r for r in resources if not crd.is_custom(r)]
    assert len(built_in) > 15
    for r in built_in:
        try:
            kubernetes_validate.validate(r, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{r['kind']} {r['metadata']['name']}: {exc}")


def test_the_operators_resources_fit_their_crds(resources: list[dict]) -> None:
    custom = [r for r in resources if crd.is_custom(r)]
    assert {r["kind"] for r in custom} == {"RabbitmqCluster", "Cluster"}
    for r in custom:
        assert crd.errors(r) == [], r["kind"]


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda s: s.update(replicas="three"), "replicas"),
        (lambda s: s.update(replcas=3), "replcas"),
        (lambda s: s["persistence"].update(storage=[20]), "storage"),
    ],
)
def test_a_broken_rabbitmqcluster_is_refused_naming_the_field(resources, change, field) -> None:
    broken = yaml.safe_load(yaml.safe_dump(_of(resources, "RabbitmqCluster")["vigil-rabbitmq"]))
    change(broken["spec"])
    assert any(field in e for e in crd.errors(broken))


def test_a_broken_deployment_is_refused(resources: list[dict]) -> None:
    broken = yaml.safe_load(yaml.safe_dump(_of(resources, "Deployment")["vigil-api"]))
    broken["spec"]["template"]["spec"]["containers"][0]["resources"]["requets"] = {}
    with pytest.raises(kubernetes_validate.ValidationError, match="requets"):
        kubernetes_validate.validate(broken, "1.31", strict=True)


def test_the_engines_are_run_by_their_operators(resources: list[dict]) -> None:
    rabbit = _of(resources, "RabbitmqCluster")["vigil-rabbitmq"]["spec"]
    assert rabbit["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["rabbitmq"]["additionalConfig"]
    assert "rabbitmq_shovel" in rabbit["rabbitmq"]["additionalPlugins"]
    assert _of(resources, "Cluster")["vigil-db"]["spec"]["instances"] >= 2


def test_secrets_mounted_are_the_ones_the_operators_make(resources: list[dict]) -> None:
    # CloudNativePG names its application Secret CLUSTER-app, the RabbitMQ operator
    # CLUSTER-default-user; their keys are `uri` and `connection_string`.
    made = {
        "vigil-db-app": "uri",
        "vigil-rabbitmq-default-user": "connection_string",
        "vigil-secret-key": "secret-key",
    }
    for name, _, pod in _containers(resources):
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                secret = volume["secret"]
                assert secret["secretName"] in made, (name, secret)
                assert [i["key"] for i in secret["items"]] == [made[secret["secretName"]]]


def test_every_command_is_a_vigil_subcommand(resources: list[dict]) -> None:
    for name, container, _ in _containers(resources):
        assert container["image"] == f"vigil:{contract.project_version()}", name
        assert "command" not in container, f"{name}: the image's entrypoint is `vigil`"
        assert contract.is_vigil_command(container["args"]), (name, container["args"])


def test_every_exec_probe_is_a_vigil_health_command(resources: list[dict]) -> None:
    probes = [
        (n, c[p]["exec"]["command"])
        for n, c, _ in _containers(resources)
        for p in ("livenessProbe", "readinessProbe")
        if "exec" in c.get(p, {})
    ]
    assert probes
    for name, command in probes:
        assert command[:2] == ["vigil", "health"], name
        assert contract.is_vigil_command(command[1:]), (name, command)


def test_workers_are_probed_by_vigil_health_and_web_by_http(resources) -> None:
    for name, container, _ in _containers(resources):
        component = container["args"][0]
        live, ready = container.get("livenessProbe"), container.get("readinessProbe")
        if component in contract.HEALTH_COMPONENTS:
            assert ready["exec"]["command"] == ["vigil", "health", component], name
            assert live["exec"]["command"] == ["vigil", "health", component, "--live"], name
        elif component in contract.HTTP_HEALTH:
            for probe in (live, ready):
                assert probe["httpGet"] == {
                    "path": contract.HTTP_HEALTH[component],
                    "port": "http",
                }, name


def test_settings_are_known_and_secrets_come_from_mounted_files(resources) -> None:
    shared = _of(resources, "ConfigMap")["vigil-config"]["data"]
    assert contract.check_environment(shared) == []
    for name, container, _ in _containers(resources):
        env = {e["name"]: e.get("value", "") for e in container.get("env", [])}
        assert contract.check_environment(env) == [], name
        mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
        for var, path in env.items():
            if var.endswith("_FILE"):
                assert any(path.startswith(m + "/") for m in mounts), (name, var, path)


def test_every_service_container_has_probes_requests_and_no_root(resources) -> None:
    for name, container, pod in _containers(resources):
        requests = container["resources"]["requests"]
        assert {"cpu", "memory"} <= set(requests), name
        assert "memory" in container["resources"]["limits"], name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        if name.startswith("vigil-migrate"):
            continue  # a Job that runs to its end: nothing to probe
        assert "livenessProbe" in container and "readinessProbe" in container, name


def test_disruption_budgets_and_autoscalers_cover_the_workloads(resources) -> None:
    deployments = _of(resources, "Deployment")
    covered = set()
    for budget in _of(resources, "PodDisruptionBudget").values():
        selector = budget["spec"]["selector"]["matchLabels"]
        covered |= {
            n
            for n, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        }
    assert covered == set(deployments)
    scaled = {
        h["spec"]["scaleTargetRef"]["name"]
        for h in _of(resources, "HorizontalPodAutoscaler").values()
    }
    assert "vigil-api" in scaled
    assert {n for n in deployments if n.startswith("vigil-executor-")} <= scaled


def test_the_scheduler_runs_a_leader_and_a_standby(resources: list[dict]) -> None:
    scheduler = _of(resources, "Deployment")["vigil-scheduler"]["spec"]
    assert scheduler["replicas"] == 2
    assert scheduler["strategy"]["rollingUpdate"]["maxSurge"] == 0


def test_migrations_run_as_a_job_named_after_the_version(resources) -> None:
    jobs = _of(resources, "Job")
    expected = "vigil-migrate-" + contract.project_version().replace(".", "-")
    assert expected in jobs
    assert jobs[expected]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_every_image_is_pinned(resources: list[dict]) -> None:
    images = [c["image"] for _, c, _ in _containers(resources)]
    images += [
        _of(resources, "RabbitmqCluster")["vigil-rabbitmq"]["spec"]["image"],
        _of(resources, "Cluster")["vigil-db"]["spec"]["imageName"],
    ]
    assert [i for i in images if not contract.is_pinned(i)] == []
