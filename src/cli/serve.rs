//! `oretrace serve` (the default; seeds the demo into an empty database when asked or when
//! running on the embedded default) and `oretrace migrate`.

use crate::api::startup::{Application, bind, migrate_with_retry};
use crate::config::Config;
use crate::db::ConnectionManager;

pub(super) fn migrate(config: &Config) -> Result<(), String> {
    let applied = migrate_with_retry(config, std::time::Duration::from_secs(30))?;
    eprintln!(
        "{}: {} migration(s) applied",
        config.database_url,
        applied.len()
    );
    Ok(())
}

pub(super) fn serve(config: Config, demo: bool) -> Result<(), String> {
    // The address first: a bad ORETRACE_BIND (or a port in use) is said before anything is
    // migrated or seeded, so that it leaves no database behind. The same listener serves.
    let listener = bind(&config)?;
    migrate_with_retry(&config, std::time::Duration::from_secs(30))?;
    let banner = if config.embedded_default || demo {
        demo_banner(&config)?
    } else {
        None
    };
    let base_url = format!("http://{}", config.bind.replace("0.0.0.0", "127.0.0.1"));
    let database = config.database_url.to_string();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build_with_listener(config, listener)?;
        log::info!("Oretrace listening on {base_url} (database: {database})");
        println!("Oretrace is running at {base_url} (database: {database})");
        if let Some(banner) = banner {
            println!("{banner}");
        }
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

/// Seeds an empty database and returns the walkthrough to print, when there is one to show.
fn demo_banner(config: &Config) -> Result<Option<String>, String> {
    let mut conn =
        ConnectionManager::new(config.database_url.clone(), config.pool.statement_timeout)
            .establish()
            .map_err(|e| format!("cannot connect to {}: {e}", config.database_url))?;
    let seeded = crate::demo::seed_if_empty(&mut conn).map_err(|e| e.to_string())?;
    let base_url = format!("http://{}", config.bind.replace("0.0.0.0", "127.0.0.1"));
    let kept = config
        .database_url
        .sqlite_path()
        .map(|file| crate::demo::credentials_path(&file));
    match (seeded, kept) {
        (Some(credentials), Some(path)) => {
            crate::demo::save_credentials(&path, &credentials)?;
            Ok(Some(crate::demo::banner(&base_url, &credentials)))
        }
        (Some(credentials), None) => Ok(Some(crate::demo::banner(&base_url, &credentials))),
        (None, Some(path)) => Ok(crate::demo::load_credentials(&path)
            .map(|credentials| crate::demo::banner(&base_url, &credentials))),
        (None, None) => Ok(None),
    }
}
