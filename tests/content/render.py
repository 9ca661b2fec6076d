"""Feed each dashboard a sample result per data source; Splunk's own Dashboard Studio packages draw it.

The sample results live in samples/<view>.json (`{data source: {"fields": [...], "rows": [[...], ...]}}`), one
for every search of the view. render/render.mjs validates each definition as shipped and draws the sampled
one in a single headless Chromium session; this module prepares its job and reads its report.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

from . import dashboard
from .spl import ROOT

HERE = Path(__file__).resolve().parent
RENDERER = HERE / "render"
SAMPLES = HERE / "samples"
OUTPUT = ROOT / "build" / "dashboards"
READY = RENDERER / "node_modules" / ".package-lock.json"
RENDER_TIMEOUT = 600


def chromium() -> str | None:
    """CHROMIUM, else chromium or chromium-browser on the PATH (as the Makefile finds it)."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def samples(view: str) -> dict[str, dict]:
    return json.loads((SAMPLES / f"{view}.json").read_text(encoding="utf-8"))


def sampled(definition: dict, sample: dict[str, dict]) -> dict:
    """The definition with every search replaced by Dashboard Studio's test data source holding its sample."""
    fed = copy.deepcopy(definition)
    for name, source in fed["dataSources"].items():
        rows = sample[name]["rows"]
        fields = sample[name]["fields"]
        columns = [[row[i] for row in rows] for i in range(len(fields))]
        fed["dataSources"][name] = {
            "type": "ds.test",
            "name": source.get("name", name),
            "options": {"data": {"fields": [{"name": field} for field in fields], "columns": columns}},
        }
    # The searches' time range default refers to ds.search only; the test source has no query parameters.
    fed.get("defaults", {}).get("dataSources", {}).pop("ds.search", None)
    return fed


def render_all(out: Path = OUTPUT) -> dict[str, dict]:
    """Render every view; return render.mjs's report per view (PNGs in `out`)."""
    jobs = []
    for path in dashboard.views():
        _, definition = dashboard.load(path)
        fed = sampled(definition, samples(path.stem))
        jobs.append({"name": path.stem, "definition": definition, "sampled": fed})
    out.mkdir(parents=True, exist_ok=True)
    job = out / "job.json"
    spec = {"outDir": str(out), "chromium": chromium(), "dashboards": jobs}
    job.write_text(json.dumps(spec), encoding="utf-8")
    done = subprocess.run(
        ["node", str(RENDERER / "render.mjs"), str(job)],
        check=False,
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT,
    )
    if done.returncode != 0:
        said = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        raise RuntimeError(f"render.mjs failed ({done.returncode}):\n{said}")
    return json.loads((out / "report.json").read_text(encoding="utf-8"))
