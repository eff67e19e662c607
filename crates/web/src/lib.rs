//! The dashboard's files, embedded at build time: our own `ui/` (plain ES
//! modules, no bundler) and MapLibre GL JS 6 (BSD-3-Clause) from npm under
//! `/assets/ml/`. Nothing is fetched at run time from anywhere but the pingan
//! server itself. `/terminal` is the field terminal's page (a unit's phone or
//! in-car tablet). It serves nothing on its own: the server crate does.

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The file at `path` (`/` is `index.html`): its content type and bytes.
pub fn asset(path: &str) -> Option<(&'static str, &'static [u8])> {
    let path = match path {
        "/" => "/index.html",
        "/terminal" => "/terminal.html",
        p => p,
    };
    ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, m, b)| (*m, *b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn embeds_the_page_and_maplibre() {
        let (mime, html) = super::asset("/").expect("index");
        assert!(mime.starts_with("text/html"));
        assert!(std::str::from_utf8(html).unwrap().contains("/app.js"));
        let (_, app) = super::asset("/app.js").expect("app");
        assert!(
            std::str::from_utf8(app)
                .unwrap()
                .contains("/assets/ml/maplibre-gl.mjs")
        );
        let (mime, js) = super::asset("/assets/ml/maplibre-gl.mjs").expect("maplibre");
        assert!(mime.starts_with("text/javascript") && js.len() > 100_000);
        assert!(super::asset("/assets/ml/maplibre-gl-worker.mjs").is_some());
        assert!(super::asset("/nope.js").is_none());
    }
}
