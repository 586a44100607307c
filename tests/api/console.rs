//! The console's files (issue 12, part 4; docs/CONSOLE.md): served by the binary without a
//! token, each with its media type, under a policy that allows the console's own script and
//! style sheet and calls to the API only; nothing loaded from elsewhere. What the console does
//! in a browser is driven by scripts/console-check.sh (headless Chromium).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};

use crate::helpers::{TestApp, send_raw};

async fn the_console_is_served_whole_and_strict(app: TestApp) {
    for (path, media) in [
        ("/console", "text/html"),
        ("/console/", "text/html"),
        ("/console/app.js", "text/javascript"),
        ("/console/app.css", "text/css"),
    ] {
        let response = send_raw(app.http.get(app.url(path))).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(media)
        );
        let csp = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} loads nothing from elsewhere"
        );
        if path.ends_with(".js") {
            assert!(
                !body.contains("localStorage")
                    && !body.contains("sessionStorage")
                    && !body.contains("document.cookie"),
                "the token is kept in memory only"
            );
            assert!(
                !body.contains("innerHTML"),
                "answers are never parsed as HTML"
            );
        }
    }
    // Nothing else under /console, and no other method.
    let missing = send_raw(app.http.get(app.url("/console/other.js"))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let post = send_raw(app.http.post(app.url("/console"))).await;
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}

crate::both_backends!(the_console_is_served_whole_and_strict);
