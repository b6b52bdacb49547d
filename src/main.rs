use std::process::ExitCode;

use litellm_analytics::config::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    let dotenv = dotenvy::dotenv();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    if let Err(e) = dotenv {
        if !e.not_found() {
            log::error!(".env could not be read: {e}");
            return ExitCode::from(2);
        }
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            log::error!("{e}");
            return ExitCode::from(2);
        }
    };
    match litellm_analytics::run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
