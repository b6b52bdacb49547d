#!/usr/bin/env python3
"""Renders k8s/kustomization.yaml the way `kubectl kustomize` would for the features it uses
(namespace, labels, images, resources) and checks the result offline:

- every manifest validates strictly against the Kubernetes schemas (oldest supported and latest);
- the kustomization lists every manifest in k8s/ (except *.example.yaml) and nothing missing;
- the pieces fit together: selectors, names, ports, probes, the ALB health check, and the
  shutdown timings (preStop + drain + in-flight timeout within terminationGracePeriodSeconds).

Exit status 1 with one line per problem. Usage: check_k8s.py [k8s-dir]
"""

import copy
import pathlib
import sys

import kubernetes_validate
import yaml

OLDEST_SUPPORTED = "1.30.0"  # native preStop sleep action
KNOWN_KEYS = {"apiVersion", "kind", "namespace", "labels", "resources", "images"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}

problems = []


def problem(text):
    problems.append(text)


def load_docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def render(root):
    kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KNOWN_KEYS
    if unknown:
        problem(f"kustomization.yaml: fields this checker does not render: {sorted(unknown)}")
    if kustomization.get("kind") != "Kustomization":
        problem("kustomization.yaml: kind is not Kustomization")
    listed = kustomization.get("resources", [])
    on_disk = {p.name for p in root.glob("*.yaml")} - {"kustomization.yaml"}
    for name in sorted(on_disk - set(listed)):
        if not name.endswith(".example.yaml"):
            problem(f"{name} is in k8s/ but not listed in kustomization.yaml resources")
    docs = []
    for name in listed:
        path = root / name
        if not path.is_file():
            problem(f"kustomization.yaml lists {name}, which does not exist")
            continue
        for doc in load_docs(path):
            docs.append((name, doc))
    namespace = kustomization.get("namespace")
    images = {i["name"]: i for i in kustomization.get("images", [])}
    rendered = []
    for name, doc in docs:
        doc = copy.deepcopy(doc)
        meta = doc.setdefault("metadata", {})
        if namespace and doc.get("kind") not in CLUSTER_SCOPED:
            meta["namespace"] = namespace
        for entry in kustomization.get("labels", []):
            meta.setdefault("labels", {}).update(entry.get("pairs", {}))
        for container in pod_containers(doc):
            image = container.get("image", "")
            base = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
            if base in images:
                entry = images[base]
                container["image"] = f"{entry.get('newName', base)}:{entry.get('newTag', 'latest')}"
        rendered.append((name, doc))
    return rendered


def pod_spec(doc):
    return doc.get("spec", {}).get("template", {}).get("spec", {}) if doc.get("kind") == "Deployment" else {}


def pod_containers(doc):
    return pod_spec(doc).get("containers", [])


def validate(rendered):
    latest = kubernetes_validate.latest_version()
    for name, doc in rendered:
        for version in (OLDEST_SUPPORTED, latest):
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                problem(f"{name}: invalid for Kubernetes {version}: {e.message} at {list(e.path)}")
            except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as e:
                problem(f"{name}: no schema for Kubernetes {version}: {e}")


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def cross_check(rendered, root):
    by_kind = {}
    for name, doc in rendered:
        by_kind.setdefault(doc["kind"], []).append(doc)
    deployments = by_kind.get("Deployment", [])
    if len(deployments) != 1:
        problem(f"expected one Deployment, found {len(deployments)}")
        return
    deploy = deployments[0]
    pod_labels = deploy["spec"]["template"]["metadata"].get("labels", {})
    if not matches(deploy["spec"]["selector"].get("matchLabels"), pod_labels):
        problem("Deployment selector does not match its pod labels")
    if deploy["spec"].get("replicas", 1) < 2:
        problem("Deployment runs fewer than 2 replicas")
    spec = pod_spec(deploy)
    container = spec["containers"][0]
    config_names = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    config = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        if ref and ref not in config_names:
            problem(f"Deployment reads ConfigMap {ref}, which is not among the resources")
        elif ref:
            config.update(config_names[ref].get("data", {}))
    example_secrets = {d["metadata"]["name"] for p in root.glob("*.example.yaml") for d in load_docs(p) if d.get("kind") == "Secret"}
    for env in container.get("env", []):
        secret = env.get("valueFrom", {}).get("secretKeyRef", {}).get("name")
        if secret and secret not in example_secrets:
            problem(f"Deployment reads Secret {secret}, but no *.example.yaml documents it")
    if "DATABASE_URL" in config:
        problem("DATABASE_URL is in a ConfigMap: it holds a password, keep it in the Secret")
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    if str(ports.get("http")) != config.get("PORT", "8000"):
        problem(f"container port {ports.get('http')} differs from PORT={config.get('PORT')}")
    probe_path = lambda probe: container.get(probe, {}).get("httpGet", {}).get("path")
    if probe_path("readinessProbe") != "/health/ready":
        problem("readinessProbe must use /health/ready")
    for probe in ("livenessProbe", "startupProbe"):
        if probe_path(probe) != "/health/live":
            problem(f"{probe} must use /health/live (it must not depend on the database)")
    security = container.get("securityContext", {})
    if not (security.get("readOnlyRootFilesystem") and security.get("allowPrivilegeEscalation") is False
            and "ALL" in security.get("capabilities", {}).get("drop", [])):
        problem("container securityContext must be read-only, without privilege escalation, dropping ALL")
    if not spec.get("securityContext", {}).get("runAsNonRoot"):
        problem("pod must run as non-root")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    drain = int(config.get("SHUTDOWN_DRAIN_SECONDS", "10"))
    timeout = int(config.get("SHUTDOWN_TIMEOUT_SECONDS", "20"))
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if pre_stop + drain + timeout > grace:
        problem(f"terminationGracePeriodSeconds {grace} < preStop {pre_stop} + drain {drain} + timeout {timeout}")
    if pre_stop == 0:
        problem("no preStop sleep: the ALB keeps routing to a terminating pod for a few seconds")
    services = {d["metadata"]["name"]: d for d in by_kind.get("Service", [])}
    for svc in services.values():
        if not matches(svc["spec"].get("selector"), pod_labels):
            problem(f"Service {svc['metadata']['name']} selector does not match the pods")
    for ing in by_kind.get("Ingress", []):
        annotations = ing["metadata"].get("annotations", {})
        if ing["spec"].get("ingressClassName") != "alb":
            problem("Ingress must use ingressClassName alb")
        if annotations.get("alb.ingress.kubernetes.io/healthcheck-path") != "/health/ready":
            problem("ALB health check must hit /health/ready")
        if annotations.get("alb.ingress.kubernetes.io/target-type") != "ip":
            problem("ALB target-type must be ip")
        for rule in ing["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                svc = services.get(backend["name"])
                if svc is None:
                    problem(f"Ingress routes to Service {backend['name']}, which does not exist")
                elif backend["port"].get("name") not in {p.get("name") for p in svc["spec"]["ports"]}:
                    problem(f"Ingress routes to a port Service {backend['name']} does not have")
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        if hpa["spec"]["scaleTargetRef"]["name"] != deploy["metadata"]["name"]:
            problem("HPA does not target the Deployment")
    if not by_kind.get("HorizontalPodAutoscaler"):
        problem("no HorizontalPodAutoscaler")
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        docs = by_kind.get(kind, [])
        if not docs:
            problem(f"no {kind}")
        for doc in docs:
            selector = doc["spec"].get("selector", doc["spec"].get("podSelector", {})).get("matchLabels")
            if not matches(selector, pod_labels):
                problem(f"{kind} {doc['metadata']['name']} does not select the pods")


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "k8s")
    rendered = render(root)
    validate(rendered)
    cross_check(rendered, root)
    for name, doc in rendered:
        print(f"rendered {doc['kind']}/{doc['metadata']['name']} ({name})")
    if problems:
        for p in problems:
            print(f"ERROR {p}")
        sys.exit(1)
    print(f"k8s: {len(rendered)} resources render and validate (Kubernetes {OLDEST_SUPPORTED} and {kubernetes_validate.latest_version()})")


if __name__ == "__main__":
    main()
