//! `custos user …` and `custos token …`: people and integrations, offline,
//! against the same store (safe while the server runs: appends to the audit
//! trail and account changes are transactions).

use std::io::BufRead as _;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use custos_audit::Actor;
use custos_auth::role::Role;
use custos_server::audit::AuditWriter;
use custos_server::auth::{AuthError, AuthService, DEFAULT_TOKEN_DAYS};
use custos_server::clock::{Clock, SystemClock};
use custos_server::datadir::DataDir;
use custos_server::keys;
use custos_server::settings::LiveSettings;
use custos_store::InstanceStore;
use secrecy::{ExposeSecret as _, SecretString};

use super::{EXIT_FAILURE, EXIT_USAGE, StoreArgs, open_existing_store, runtime};

/// `custos user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person account: reads the password from standard input, enrolls a
    /// TOTP authenticator and prints its otpauth:// URI.
    Add(UserAddArgs),
    /// Disable an account: every session ends at once.
    Disable(UserDisableArgs),
}

/// Arguments of `user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Sign-in name: lower-case letters, digits, '.', '_' or '-'.
    #[arg(long)]
    username: String,
    /// agent, supervisor, security_officer, auditor or admin.
    #[arg(long)]
    role: String,
    /// Team the person belongs to.
    #[arg(long)]
    team: Option<String>,
    /// Read the password from the first line of standard input (required: passwords
    /// never go on the command line).
    #[arg(long, required = true)]
    password_stdin: bool,
    /// Print {"username","role","totp_uri"} as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `user disable`.
#[derive(Debug, Args)]
pub struct UserDisableArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The account.
    username: String,
}

/// `custos token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a service token for an integration; it is printed once.
    Create(TokenCreateArgs),
    /// Revoke a service token by name: the integration's next request is refused.
    Revoke(TokenRevokeArgs),
}

/// Arguments of `token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The token's name, as given at `token create`.
    #[arg(long)]
    name: String,
}

/// Arguments of `token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A name for the integration, e.g. genesys-prod.
    #[arg(long)]
    name: String,
    /// integration or payment_service.
    #[arg(long)]
    role: String,
    /// Days until it expires.
    #[arg(long, default_value_t = DEFAULT_TOKEN_DAYS)]
    days: i64,
    /// Print {"token":…} as JSON.
    #[arg(long)]
    json: bool,
}

/// The services an administrative command needs, and what to close afterwards.
pub(super) struct Services {
    pub(super) auth: AuthService,
    pub(super) store: custos_store::Store,
    pub(super) audit: custos_server::audit::AuditLog,
    audit_task: tokio::task::JoinHandle<()>,
    pub(super) keys: keys::Keys,
    pub(super) clock: Arc<dyn Clock>,
}

impl Services {
    pub(super) async fn open(args: &StoreArgs) -> Result<Self, String> {
        let (config, store) = open_existing_store(args).await.map_err(|e| e.to_string())?;
        let keys = keys::load_existing(&DataDir::at(&config.data_dir), config.root_source)
            .map_err(|e| e.to_string())?;
        let instance = match store.find_instance().await {
            Ok(Some(instance)) => instance.instance_id.to_string(),
            Ok(None) => {
                return Err(
                    "the database was never initialized; start `custos serve` once".to_owned(),
                );
            }
            Err(e) => return Err(e.to_string()),
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (audit, audit_task) = AuditWriter::new(
            store.clone(),
            keys.audit_signer.clone(),
            instance,
            clock.clone(),
            config.audit.clone(),
        )
        .spawn();
        let settings = LiveSettings::load(&config, &store)
            .await
            .map_err(|e| e.to_string())?;
        let auth = AuthService::new(
            &config,
            store.clone(),
            audit.clone(),
            clock.clone(),
            Arc::new(settings),
            keys.root.expose(),
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            auth,
            store,
            audit,
            audit_task,
            keys,
            clock,
        })
    }

    pub(super) async fn close(self) {
        self.audit.close().await;
        let _ = self.audit_task.await;
        self.store.close().await;
    }
}

/// The operator running the command, as the audit actor.
pub(super) fn operator() -> Actor {
    Actor {
        name: Some(format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
        )),
        ..Actor::system()
    }
}

pub(super) fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("custos: {message}");
    ExitCode::from(code)
}

fn exit_for(e: &AuthError) -> u8 {
    match e {
        AuthError::PasswordRejected(_)
        | AuthError::Invalid(_)
        | AuthError::Conflict(_)
        | AuthError::NotFound => EXIT_USAGE,
        _ => EXIT_FAILURE,
    }
}

/// Runs a `user` subcommand.
pub fn run_user(command: UserCommand) -> ExitCode {
    let Ok(rt) = runtime() else {
        return fail("cannot start the async runtime", EXIT_FAILURE);
    };
    match command {
        UserCommand::Add(args) => rt.block_on(user_add(args)),
        UserCommand::Disable(args) => rt.block_on(user_disable(args)),
    }
}

/// Runs a `token` subcommand.
pub fn run_token(command: TokenCommand) -> ExitCode {
    let Ok(rt) = runtime() else {
        return fail("cannot start the async runtime", EXIT_FAILURE);
    };
    match command {
        TokenCommand::Create(args) => rt.block_on(token_create(args)),
        TokenCommand::Revoke(args) => rt.block_on(token_revoke(args)),
    }
}

fn read_password() -> Result<SecretString, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = SecretString::from(line.trim_end_matches(['\r', '\n']).to_owned());
    zeroize::Zeroize::zeroize(&mut line);
    Ok(password)
}

async fn user_add(args: UserAddArgs) -> ExitCode {
    let role = match args.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let password = match read_password() {
        Ok(password) => password,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let services = match Services::open(&args.store).await {
        Ok(services) => services,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let created = services
        .auth
        .create_user(
            operator(),
            &args.username,
            role,
            args.team.clone(),
            password,
        )
        .await;
    services.close().await;
    match created {
        Ok(account) => {
            if args.json {
                let out = serde_json::json!({
                    "username": account.user.username,
                    "role": account.user.role,
                    "totp_uri": account.totp_uri.expose_secret(),
                    "recovery_codes": account.recovery_codes.iter().map(|c| c.expose_secret()).collect::<Vec<_>>(),
                });
                println!("{out}");
            } else {
                println!("Created {} ({}).", account.user.username, account.user.role);
                println!(
                    "Enrol this in an authenticator app (shown once):\n  {}",
                    account.totp_uri.expose_secret()
                );
                println!("Recovery codes, each usable once (shown once; keep them safe):");
                for code in &account.recovery_codes {
                    println!("  {}", code.expose_secret());
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, exit_for(&e)),
    }
}

async fn user_disable(args: UserDisableArgs) -> ExitCode {
    let services = match Services::open(&args.store).await {
        Ok(services) => services,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let disabled = services.auth.disable_user(operator(), &args.username).await;
    services.close().await;
    match disabled {
        Ok(user) => {
            println!(
                "Disabled {}; every session of theirs has ended.",
                user.username
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, exit_for(&e)),
    }
}

async fn token_create(args: TokenCreateArgs) -> ExitCode {
    let role = match args.role.parse::<Role>() {
        Ok(role) => role,
        Err(e) => return fail(e, EXIT_USAGE),
    };
    let services = match Services::open(&args.store).await {
        Ok(services) => services,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let created = services
        .auth
        .create_service_token(operator(), &args.name, role, args.days)
        .await;
    services.close().await;
    match created {
        Ok((token, record)) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "token": token.expose_secret(), "name": record.name, "role": record.role })
                );
            } else {
                println!(
                    "Service token for {} ({}), shown once:\n  {}",
                    record.name,
                    record.role,
                    token.expose_secret()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e, exit_for(&e)),
    }
}

async fn token_revoke(args: TokenRevokeArgs) -> ExitCode {
    let services = match Services::open(&args.store).await {
        Ok(services) => services,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let revoked = async {
        let token = services.auth.service_token_named(&args.name).await?;
        services.auth.revoke_service_token(operator(), &token).await
    }
    .await;
    services.close().await;
    match revoked {
        Ok(()) => {
            println!("Revoked the service token {}.", args.name);
            ExitCode::SUCCESS
        }
        Err(AuthError::NotFound) => fail(
            format_args!("no service token is named {}", args.name),
            EXIT_USAGE,
        ),
        Err(e) => fail(&e, exit_for(&e)),
    }
}
