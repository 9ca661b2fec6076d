// The Node half of the render test: bundle page.jsx with esbuild, then in ONE headless Chromium session
// validate each dashboard's definition as shipped, draw it fed with sample results, report every panel's
// state and write a PNG. Usage: node render.mjs <job.json>; the job names the dashboards and the output
// folder, where report.json and <name>.png are written. Nothing leaves the browser: every request is answered
// here (the page, and the two splunkd REST calls the time picker makes) or refused.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import puppeteer from 'puppeteer-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ORIGIN = 'http://dashboards.invalid';
const WIDTH = 1280;
const HEIGHT = 3200;
const SETTLE_MS = 3000;
const RENDER_TIMEOUT_MS = 60000;

const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
fs.mkdirSync(job.outDir, { recursive: true });

const BUILD = path.join(HERE, 'build');
await esbuild.build({
    entryPoints: [path.join(HERE, 'page.jsx')],
    bundle: true,
    outdir: BUILD,
    minify: true,
    loader: { '.js': 'jsx' },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'error',
});
// Splunk Web's page config: the time picker draws only when it finds splunkd behind Splunk Web.
const SPLUNK_CONFIG = { SPLUNKD_PATH: '/en-US/splunkd/__raw', MRSPARKLE_ROOT_PATH: '', LOCALE: 'en-US', APP: 'TA-mimecast-awareness', VERSION_LABEL: '10.0.0', USERNAME: 'analyst', MRSPARKLE_PORT_NUMBER: '8000',
    SERVER_ZONEINFO: '### SERIALIZED TIMEZONE FORMAT 1.0;Y0 NW 55 54 43;$' };
const FILES = {
    '/': ['text/html', `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/page.css"><script>window.$C = ${JSON.stringify(SPLUNK_CONFIG)};</script></head><body style="margin:0"><div id="root"></div><script src="/page.js"></script></body></html>`],
    '/page.css': ['text/css', fs.readFileSync(path.join(BUILD, 'page.css'))],
    '/page.js': ['text/javascript', fs.readFileSync(path.join(BUILD, 'page.js'))],
};
const REST = {
    // The user's capabilities (real-time searches) and the time picker's presets (Splunk's defaults).
    '/authentication/current-context': { entry: [{ name: 'analyst', content: { capabilities: [] } }] },
    '/data/ui/times': {
        entry: [{ name: 'last_7_days', content: { label: 'Last 7 days', earliest_time: '-7d@h', latest_time: 'now', order: 10, disabled: false, is_sub_menu: false } }],
    },
};

function answer(request) {
    const url = new URL(request.url());
    if (url.origin !== ORIGIN) {
        return request.abort();
    }
    if (FILES[url.pathname]) {
        const [contentType, body] = FILES[url.pathname];
        return request.respond({ status: 200, contentType, body });
    }
    const rest = Object.keys(REST).find((endpoint) => url.pathname.endsWith(endpoint));
    if (url.pathname.startsWith(SPLUNK_CONFIG.SPLUNKD_PATH) && rest) {
        return request.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(REST[rest]) });
    }
    if (url.pathname === '/favicon.ico') {
        return request.respond({ status: 204, body: '' });
    }
    return request.respond({ status: 404, contentType: 'text/plain', body: 'not here' });
}

// Runs in the page: what each panel shows.
function inspectPanels(ids) {
    return ids.map((id) => {
        const item = document.querySelector(`[data-test="viz-item"][data-id="${id}"]`);
        if (!item) {
            return { id, drawn: false, messages: [], content: 0 };
        }
        const type = item.getAttribute('data-viz-type');
        const messages = [...item.querySelectorAll('[data-test="message"], [data-test-type="error"], [role="alert"]')]
            .map((node) => node.innerText.trim())
            .filter(Boolean);
        let content;
        if (type === 'splunk.singlevalue') {
            const major = (item.querySelector('[data-test="majorValue"]')?.textContent || '').trim();
            content = major && major !== 'N/A' ? 1 : 0;
        } else if (type === 'splunk.table') {
            content = item.querySelectorAll('tbody tr').length;
        } else {
            content = item.querySelectorAll('.highcharts-point, .highcharts-graph').length;
        }
        // A table wider than its panel hides columns behind a scroll bar.
        const scroller = type === 'splunk.table' ? item.querySelector('table')?.parentElement : null;
        const hiddenColumns = scroller ? scroller.scrollWidth > scroller.clientWidth + 1 : false;
        // A header too narrow for its label breaks a word across lines ("Accoun/t").
        const brokenHeaders = [];
        for (const header of item.querySelectorAll('thead th')) {
            const walker = document.createTreeWalker(header, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                for (const word of node.textContent.matchAll(/\S+/g)) {
                    const range = document.createRange();
                    range.setStart(node, word.index);
                    range.setEnd(node, word.index + word[0].length);
                    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
                    if (lines.size > 1) {
                        brokenHeaders.push(header.innerText.trim());
                    }
                }
            }
        }
        const rect = item.getBoundingClientRect();
        return { id, type, drawn: true, messages, content, hiddenColumns, brokenHeaders, width: rect.width, height: rect.height, text: item.innerText.slice(0, 300) };
    });
}

const browser = await puppeteer.launch({
    executablePath: job.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
});
const report = {};
try {
    for (const dashboard of job.dashboards) {
        const page = await browser.newPage();
        const consoleErrors = [];
        page.on('pageerror', (error) => consoleErrors.push(`page error: ${error.stack}`.slice(0, 1500)));
        page.on('console', (message) => {
            if (message.type() === 'error') {
                consoleErrors.push(message.text().slice(0, 500));
            }
        });
        await page.setRequestInterception(true);
        page.on('request', answer);
        // Tall enough for the whole dashboard at once: panels drawn off-screen and resized later come out blank.
        await page.setViewport({ width: WIDTH, height: HEIGHT });
        await page.goto(`${ORIGIN}/`);
        const validation = await page.evaluate((d) => window.validateDefinition(d), dashboard.definition);
        await page.evaluate((d) => window.renderDashboard(d), dashboard.sampled);
        await page.waitForFunction(() => window.rendered, { timeout: RENDER_TIMEOUT_MS }).catch(() => null);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        const ids = Object.keys(dashboard.sampled.visualizations || {});
        const panels = await page.evaluate(inspectPanels, ids);
        // A panel's warning or error sits behind a status icon: open each and read what it says.
        for (const panel of panels) {
            const icons = await page.$$(`[data-test="viz-item"][data-id="${panel.id}"] [data-test="status-icon-container"] button`);
            for (const icon of icons) {
                await icon.click();
                await new Promise((resolve) => setTimeout(resolve, 300));
                const said = await page.evaluate(() => [...document.querySelectorAll('[data-test-popover-id], [role="dialog"], [role="tooltip"]')].map((node) => node.innerText.trim()).filter(Boolean).join(' | '));
                panel.messages.push(`status icon: ${said || '(no text)'}`);
                await page.keyboard.press('Escape');
            }
        }
        const rendered = await page.evaluate(() => window.rendered);
        const renderErrors = await page.evaluate(() => window.renderErrors);
        const height = await page.evaluate(() => document.getElementById('root').getBoundingClientRect().height);
        await page.screenshot({
            path: path.join(job.outDir, `${dashboard.name}.png`),
            clip: { x: 0, y: 0, width: WIDTH, height: Math.min(HEIGHT, Math.ceil(height)) },
            captureBeyondViewport: false,
        });
        if (job.keepDom) {
            fs.writeFileSync(path.join(job.outDir, `${dashboard.name}.html`), await page.content());
        }
        report[dashboard.name] = { validation, rendered, renderErrors, consoleErrors, panels };
        await page.close();
    }
} finally {
    await browser.close();
}
fs.writeFileSync(path.join(job.outDir, 'report.json'), JSON.stringify(report, null, 2));
