//! `oretrace keys`: token signing keys. Needs no settings and no database.

use std::path::PathBuf;

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Write a new Ed25519 signing key (PKCS#8 PEM, mode 0600) to FILE.
    Generate {
        /// Where to write it; an existing file is never overwritten.
        file: PathBuf,
    },
}

pub(super) fn run(command: &KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Generate { file } => {
            crate::auth::keys::write_new_key_file(file)?;
            eprintln!("wrote a new Ed25519 signing key to {}", file.display());
            Ok(())
        }
    }
}
