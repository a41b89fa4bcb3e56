"""No import circle among the package's modules, and the job machinery runs without the web stack."""

from __future__ import annotations

import ast
from pathlib import Path

from without_packages import run_without

import talking_head

PACKAGE = Path(talking_head.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that `path` imports anywhere: at module level, inside functions (a circle
    held apart by an import at call time is still a circle) and for annotations (`TYPE_CHECKING`)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            source = f"{base}.{node.module}" if node.level and node.module else node.module or base
            for alias in node.names:  # `from pkg import module` needs the module; `from pkg import name`, pkg
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source)
    return {target for target in found if target in modules and target != name}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imports(path, modules) for path in paths}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_finder_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_package():
    graph = import_graph()
    assert "talking_head.jobs.runner" in graph["talking_head.jobs.executor_local"], "the graph sees imports"
    assert circles(graph) == []


WEB_STACK = {"fastapi", "pydantic", "starlette", "uvicorn"}

WITHOUT_WEB = """
import json
import pkgutil
import sys
from dataclasses import replace

import talking_head.jobs
from talking_head.settings import Settings

modules = [info.name for info in pkgutil.walk_packages(talking_head.jobs.__path__, "talking_head.jobs.")]
for name in modules:
    __import__(name)

# What a Celery worker does at the end of a job: the app, and the webhook's record with signed links.
from talking_head.jobs.executor_celery import make_celery
from talking_head.jobs.links import public_record
from talking_head.jobs.records import DONE, Job

settings = replace(Settings.from_env(), executor="celery", broker_url="redis://127.0.0.1:9/0")
app = make_celery(settings)
job = Job(id="0" * 32, base_url="http://h/", status=DONE, created_at=0.0, finished_at=1.5)
record = public_record(job, "key-one,key-two")
assert "?token=" in record["video_url"] and record["finished_at"] == "1970-01-01T00:00:01.500000Z", record
json.dumps(record)
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(BLOCKED))
assert not loaded, loaded
print(len(modules), app.main)
"""


def test_the_job_machinery_runs_without_the_web_stack():
    done = run_without(WEB_STACK, WITHOUT_WEB, timeout_s=120)
    assert done.returncode == 0, done.stderr
    modules, app = done.stdout.split()
    assert int(modules) >= 15 and app == "talking_head"
