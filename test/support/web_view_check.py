#!/usr/bin/env python3
"""Loads shoald's web view in headless Chromium (Selenium, from Debian) and
prints what a person would see as one JSON object: the header's facts,
every node row (name, state), every application row (name, allocated
millicores, used), the history plots (name, points), the events shown and
any error the page displays. Waits until the page shows at least NODES
nodes, APPS applications and a history plot per application with points.
Saves a screenshot to SCREENSHOT.
Usage: web_view_check.py URL SCREENSHOT NODES APPS"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

url, shot, want_nodes, want_apps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
options = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1700"):
    options.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
# One snapshot of what the page shows, taken inside the page in one go (it
# redraws every second, so element handles would go stale between calls).
SNAPSHOT = """
const rows = sel => [...document.querySelectorAll(sel)];
const text = id => document.getElementById(id).textContent;
return {
  header: Object.fromEntries(["answered-by", "nodes-live", "mode", "policy-version", "cpu-summary"]
                              .map(i => [i, text(i)])),
  nodes: rows("#nodes tbody tr").map(r => ({name: r.dataset.node, state: r.dataset.state})),
  apps: rows("#apps tbody tr").map(r => ({name: r.dataset.app, allocated_m: Number(r.dataset.allocatedM),
                                          used_m: Number(r.dataset.usedM), text: r.innerText})),
  plots: rows("#app-history .plot").map(p => ({name: p.dataset.history, points: Number(p.dataset.points || 0)})),
  pipe_plots: rows("#pipe-history .plot").map(p => ({name: p.dataset.history, points: Number(p.dataset.points || 0)})),
  events: rows("#events tbody tr").map(r => r.dataset.type),
  policy: text("policy-text").slice(0, 200),
  error: text("error"),
};
"""

try:
    start = time.time()
    driver.get(url)
    loaded_s, last_refresh = None, 0.0
    while time.time() - start < 60:
        seen = driver.execute_script(SNAPSHOT)
        if loaded_s is None and len(seen["nodes"]) >= want_nodes and len(seen["apps"]) >= want_apps:
            loaded_s = time.time() - start
        if loaded_s is not None and sum(1 for p in seen["plots"] if p["points"] > 0) >= want_apps:
            break
        time.sleep(0.25)
        # History is asked every 30 s; load the page again to ask now.
        if loaded_s is not None and time.time() - max(start, last_refresh) > 8:
            last_refresh = time.time()
            driver.refresh()
    seen = driver.execute_script(SNAPSHOT)
    seen["loaded_s"] = loaded_s
    driver.save_screenshot(shot)
    print(json.dumps(seen))
finally:
    driver.quit()
