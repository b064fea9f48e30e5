//! `twofold-portal directory test [--config FILE] [--user NAME]`: checks the `[directory]`
//! configuration end to end, step by step (connect, bind as the service account, find a user,
//! list their groups), printing what each step found or exactly what failed. Exit 1 at the
//! first failure. Never asks for or prints a password.

use std::path::Path;

use anyhow::{bail, Context};
use clap::Subcommand;
use twofold_portal::directory::config::{DirectoryConfig, Membership, Nesting};
use twofold_portal::directory::ldap::LdapDirectory;
use twofold_portal::directory::{Directory, EntryKind};

#[derive(Subcommand)]
pub enum DirectoryCommand {
    /// Connect, bind, find a user and list their groups, saying what failed (the
    /// `[directory]` table of the config file given with `--config`).
    Test {
        /// The user to look up; default: the first user the directory lists.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
}

/// One line for `check-config`.
pub fn describe(config: &DirectoryConfig) -> String {
    match config {
        DirectoryConfig::Builtin => "built-in".to_string(),
        DirectoryConfig::Ldap(s) => format!(
            "LDAP {}{} (users {}, groups {})",
            s.url,
            if s.starttls && s.url.starts_with("ldap://") { " + StartTLS" } else { "" },
            s.user_base,
            s.group_base
        ),
    }
}

pub fn run(config: Option<&Path>, command: DirectoryCommand) -> anyhow::Result<()> {
    let DirectoryCommand::Test { user } = command;
    let Some(config) = config else {
        bail!("directory test needs the config file: give --config FILE");
    };
    let file = super::serve::read_config(config)?;
    let DirectoryConfig::Ldap(settings) = &file.directory else {
        println!("directory: built-in (no [directory] table in {})", config.display());
        println!("nothing to test: users and groups are the portal's own");
        return Ok(());
    };
    println!("config:     {}", config.display());
    println!("directory:  {}", describe(&file.directory));
    let directory = LdapDirectory::open((**settings).clone())
        .with_context(|| "FAILED reading the directory's files".to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(test(&directory, user.as_deref()))
}

async fn test(directory: &LdapDirectory, user: Option<&str>) -> anyhow::Result<()> {
    let s = directory.settings();
    let mut ldap = match directory.connect().await {
        Ok(ldap) => ldap,
        Err(e) => {
            println!("connect:    FAILED: {e}");
            bail!("cannot connect to {}", s.url);
        }
    };
    let security = if s.url.starts_with("ldaps://") {
        "TLS"
    } else if s.starttls {
        "StartTLS"
    } else {
        "plain (loopback)"
    };
    println!("connect:    ok ({}, {security})", s.url);
    if let Err(e) = directory.service_bind(&mut ldap).await {
        println!("bind:       FAILED: {e}");
        bail!("the service account cannot bind");
    }
    match &s.bind_dn {
        Some(dn) => println!("bind:       ok as {dn}"),
        None => println!("bind:       anonymous (no bind_dn)"),
    }
    let name = match user {
        Some(name) => name.to_string(),
        None => match directory.search("", 0, 200).await {
            Ok(page) => match page.items.into_iter().find(|e| e.kind == EntryKind::User) {
                Some(entry) => entry.name,
                None => {
                    println!(
                        "user:       FAILED: no entry under {} matches {}",
                        s.user_base, s.user_filter
                    );
                    bail!("the directory lists no user");
                }
            },
            Err(e) => {
                println!("user:       FAILED: {e}");
                bail!("searching for users failed");
            }
        },
    };
    let found = match directory.find(&mut ldap, &name).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            println!(
                "user:       FAILED: no single entry under {} matches (&{}({}={name}))",
                s.user_base, s.user_filter, s.name_attribute
            );
            bail!("user {name} not found");
        }
        Err(e) => {
            println!("user:       FAILED: {e}");
            bail!("looking up {name} failed");
        }
    };
    println!("user:       {} ({})", found.name, found.display_name);
    println!("  dn:       {}", found.dn);
    println!("  id:       {} ({})", found.id, s.id_attribute);
    let how = match (s.membership, s.nesting) {
        (Membership::MemberUid, _) => "memberUid, no nesting".to_string(),
        (m, Nesting::None) => format!("{}, direct only", m.attribute()),
        (m, Nesting::Client) => format!("{}, nested (followed by the portal)", m.attribute()),
        (m, Nesting::InChain) => format!("{}, nested (in-chain rule)", m.attribute()),
    };
    match directory.groups(&mut ldap, &found).await {
        Ok(groups) if groups.is_empty() => println!("groups:     none ({how})"),
        Ok(groups) => {
            let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
            println!("groups:     {} ({how})", names.join(", "))
        }
        Err(e) => {
            println!("groups:     FAILED: {e}");
            bail!("listing the groups of {name} failed");
        }
    }
    let _ = ldap.unbind().await;
    println!("ok");
    Ok(())
}
