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
from selenium.webdriver.common.by import By

url, shot, want_nodes, want_apps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
options = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1700"):
    options.add_argument(a)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    start = time.time()
    driver.get(url)
    loaded_s = None
    seen = {}
    while time.time() - start < 40:
        nodes = driver.find_elements(By.CSS_SELECTOR, "#nodes tbody tr")
        apps = driver.find_elements(By.CSS_SELECTOR, "#apps tbody tr")
        plots = driver.find_elements(By.CSS_SELECTOR, "#app-history .plot")
        if loaded_s is None and len(nodes) >= want_nodes and len(apps) >= want_apps:
            loaded_s = time.time() - start
        with_points = [p for p in plots if int(p.get_attribute("data-points") or 0) > 0]
        if loaded_s is not None and len(with_points) >= want_apps:
            break
        time.sleep(0.5)
        # History is asked every 30 s; reload to ask again now.
        if loaded_s is not None and time.time() - start > 5 and int(time.time() - start) % 8 == 0:
            driver.refresh()
    seen["loaded_s"] = loaded_s
    seen["header"] = {i: driver.find_element(By.ID, i).text
                      for i in ("answered-by", "nodes-live", "mode", "policy-version", "cpu-summary")}
    seen["nodes"] = [{"name": r.get_attribute("data-node"), "state": r.get_attribute("data-state")}
                     for r in driver.find_elements(By.CSS_SELECTOR, "#nodes tbody tr")]
    seen["apps"] = [{"name": r.get_attribute("data-app"), "allocated_m": float(r.get_attribute("data-allocated-m")),
                     "used_m": float(r.get_attribute("data-used-m")), "text": r.text}
                    for r in driver.find_elements(By.CSS_SELECTOR, "#apps tbody tr")]
    seen["plots"] = [{"name": p.get_attribute("data-history"), "points": int(p.get_attribute("data-points") or 0)}
                     for p in driver.find_elements(By.CSS_SELECTOR, "#app-history .plot")]
    seen["events"] = [r.get_attribute("data-type") for r in driver.find_elements(By.CSS_SELECTOR, "#events tbody tr")]
    seen["policy"] = driver.find_element(By.ID, "policy-text").text[:200]
    seen["error"] = driver.find_element(By.ID, "error").text
    driver.save_screenshot(shot)
    print(json.dumps(seen))
finally:
    driver.quit()
