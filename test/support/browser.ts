// A browser as the hub sees one: a cookie jar, navigations that get JupyterHub's _xsrf cookie, forms,
// and REST calls authenticated by the login cookie with the X-XSRFToken header JupyterLab sends.
// Shared by the services suites (test/support/services-harness.ts) and the journey
// (test/journey/journey.test.ts).
import * as http from "node:http";

export interface Page {
    status: number;
    body: string;
    location: string | null;
    setCookies: string[];
}

/** What a browser sends when the user opens a page or submits a form (see Browser). */
const NAVIGATE = { "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "user-agent": "services-test-browser" };

function httpRequest(method: string, url: string, headers: Record<string, string>, body?: string): Promise<Page> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            url,
            { method, headers: body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) } },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        body: Buffer.concat(chunks).toString("utf8"),
                        location: res.headers.location ?? null,
                        setCookies: res.headers["set-cookie"] ?? [],
                    }),
                );
                res.on("error", reject);
            },
        );
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url}: no answer in 30s`)));
        req.on("error", reject);
        req.end(body);
    });
}

/**
 * A cookie jar and requests that never follow redirects, as the test must see each answer.
 * JupyterHub sets its _xsrf cookie only on navigations ("sec-fetch-mode: navigate"). fetch()
 * cannot say that (it always sends "cors", as the Fetch standard requires), so the browser's
 * requests go through node:http.
 */
export class Browser {
    readonly cookies = new Map<string, string>();

    private remember(page: Page): void {
        for (const c of page.setCookies) {
            const [pair] = c.split(";");
            const eq = pair.indexOf("=");
            const name = pair.slice(0, eq).trim();
            const value = pair.slice(eq + 1).trim();
            // An expired or empty cookie is a deletion.
            if (value === "" || value === '""' || /expires=Thu, 01 Jan 1970/i.test(c) || /max-age=0/i.test(c)) this.cookies.delete(name);
            else this.cookies.set(name, value);
        }
    }

    private headers(site: string): Record<string, string> {
        const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
        return { ...NAVIGATE, "sec-fetch-site": site, ...(cookie ? { cookie } : {}) };
    }

    async get(url: string): Promise<Page> {
        const page = await httpRequest("GET", url, this.headers("none"));
        this.remember(page);
        return page;
    }

    /** A REST call as JupyterLab makes it: the login cookie and the _xsrf cookie's value as X-XSRFToken. */
    async api(method: string, url: string, body?: unknown): Promise<Page> {
        const headers: Record<string, string> = { ...this.headers("same-origin"), "x-xsrftoken": this.cookies.get("_xsrf") ?? "" };
        if (body !== undefined) headers["content-type"] = "application/json";
        const page = await httpRequest(method, url, headers, body === undefined ? undefined : JSON.stringify(body));
        this.remember(page);
        return page;
    }

    async postForm(url: string, form: Record<string, string>): Promise<Page> {
        const page = await httpRequest(
            "POST",
            url,
            { ...this.headers("same-origin"), "content-type": "application/x-www-form-urlencoded", origin: new URL(url).origin },
            new URLSearchParams(form).toString(),
        );
        this.remember(page);
        return page;
    }
}
