//! The hub: the shared handles every module gets, and its start-up and shutdown.

use crate::auth::{load_or_create_token, Auth};
use crate::bus::{Bus, BusLimits};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::pipeline::{normalize, Pipeline};
use crate::producer::Producer;
use crate::store::writer::StoreQueue;
use crate::store::Store;
use landale_core::Ingest;
use landale_obs::Obs;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How many seqs are reserved in storage ahead of use, so a restart never reuses one.
const SEQ_BLOCK: u64 = 100_000;

pub struct Hub {
    pub config: Config,
    pub store: Store,
    pub bus: Arc<Bus>,
    pub pipeline: Pipeline,
    pub metrics: Arc<Metrics>,
    pub auth: Auth,
    pub producer: Arc<Producer>,
    /// OBS over obs-websocket (off when `OBS_WEBSOCKET_URL` is unset).
    pub obs: Arc<Obs>,
    /// The Twitch token pair (off when `TWITCH_CLIENT_ID` is unset).
    pub twitch_tokens: Arc<landale_twitch::tokens::Tokens>,
    /// Helix calls (channel info, categories, goals) with the rate-limit rules.
    pub helix: Arc<landale_twitch::helix::Helix>,
    /// EventSub over WebSocket: Twitch's notifications into the pipeline.
    pub eventsub: Arc<landale_twitch::eventsub::EventSub>,
    /// nurvus on this machine, behind `dashboard:services`.
    pub nurvus: landale_nurvus::Nurvus,
    /// Outbound HTTP (nurvus, health probes): 10 s timeout on every request.
    pub http: reqwest::Client,
    pub started: Instant,
    pub shutdown: watch::Receiver<bool>,
}

/// Handles to stop a running hub: first [`HubTasks::begin_shutdown`] (sockets close,
/// producers stop), then, once nothing can ingest any more, [`HubTasks::finish`]
/// (the store writer drains and the last seq is recorded).
pub struct HubTasks {
    shutdown: watch::Sender<bool>,
    store_stop: watch::Sender<bool>,
    store_writer: tokio::task::JoinHandle<()>,
}

impl Hub {
    pub async fn start(mut config: Config) -> anyhow::Result<(Arc<Hub>, HubTasks)> {
        config
            .twitch
            .open_vault()
            .map_err(|e| anyhow::anyhow!("bad setting {e}"))?;
        let store = Store::connect(config.database_url.as_deref(), &config.data_dir).await?;
        let token =
            load_or_create_token(config.token.as_deref(), &config.data_dir).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read or write the token in {}: {e}",
                    config.data_dir.display()
                )
            })?;
        let auth = Auth::new(token, config.trust_loopback);

        let head = store.last_seq().await?;
        store
            .meta_set("seq_reserved", &(head + SEQ_BLOCK).to_string())
            .await?;
        let limits = BusLimits {
            ring_messages: config.replay_ring,
            broadcast_capacity: config.broadcast_capacity,
            ..BusLimits::default()
        };
        let bus = Arc::new(Bus::new(head, limits));
        let metrics = Arc::new(Metrics::new());
        let (shutdown_tx, shutdown) = watch::channel(false);
        let (store_stop, store_stop_rx) = watch::channel(false);
        let (store_queue, store_writer) =
            StoreQueue::start(store.clone(), metrics.clone(), store_stop_rx);
        let pipeline = Pipeline::new(
            bus.clone(),
            store_queue,
            metrics.clone(),
            normalize::Options::default(),
        );
        let producer = Producer::new(
            bus.clone(),
            pipeline.clone(),
            metrics.clone(),
            config.clock.clone(),
        );
        producer.restore(&store).await;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()?;

        // Integrations hand their events to the pipeline through `Ingest` only.
        let ingest: Arc<dyn Ingest> = Arc::new(pipeline.clone());
        let obs = Obs::new(config.obs.clone());
        let nurvus = landale_nurvus::Nurvus::new(&config.nurvus, http.clone());
        let twitch_tokens =
            landale_twitch::tokens::Tokens::new(&config.twitch, Arc::new(store.clone()));
        twitch_tokens.load().await;
        let helix = landale_twitch::helix::Helix::new(&config.twitch, twitch_tokens.clone());
        let eventsub = landale_twitch::eventsub::EventSub::new(
            &config.twitch,
            twitch_tokens.clone(),
            helix.clone(),
            ingest.clone(),
        );
        let hub = Arc::new(Hub {
            config,
            store,
            bus,
            pipeline,
            metrics,
            auth,
            producer: producer.clone(),
            obs,
            twitch_tokens,
            helix,
            eventsub,
            nurvus,
            http,
            started: Instant::now(),
            shutdown: shutdown.clone(),
        });
        tokio::spawn(producer.clone().run(shutdown.clone()));
        tokio::spawn(producer.saver(hub.store.clone(), shutdown.clone()));
        hub.obs.spawn(ingest, shutdown.clone());
        tokio::spawn(hub.twitch_tokens.clone().run(shutdown.clone()));
        tokio::spawn(hub.eventsub.clone().run(shutdown.clone()));
        tokio::spawn(hub.eventsub.clone().follow_tokens(shutdown.clone()));
        tokio::spawn(seq_reserver(hub.clone(), head + SEQ_BLOCK));
        tokio::spawn(retention(hub.clone()));
        if hub.config.demo {
            tokio::spawn(crate::demo::run(hub.pipeline.clone(), shutdown.clone()));
        }
        tracing::info!(engine = hub.store.engine(), seq = head, "hub started");
        Ok((
            hub,
            HubTasks {
                shutdown: shutdown_tx,
                store_stop,
                store_writer,
            },
        ))
    }
}

impl HubTasks {
    /// Close sockets and stop the producers (demo, stream producer, seq reservation).
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// After serving has stopped: store what is queued, then record the last seq.
    pub async fn finish(self, hub: Arc<Hub>) {
        let _ = self.shutdown.send(true);
        hub.producer.save(&hub.store).await;
        let _ = self.store_stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.store_writer).await;
        let head = hub.bus.head();
        if let Err(e) = hub.store.meta_set("seq_reserved", &head.to_string()).await {
            tracing::warn!(error = %e, "could not record the last seq");
        }
    }
}

/// Keep the persisted reservation ahead of the bus head.
async fn seq_reserver(hub: Arc<Hub>, mut reserved: u64) {
    let mut shutdown = hub.shutdown.clone();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = shutdown.changed() => return,
        }
        let head = hub.bus.head();
        if head + SEQ_BLOCK / 2 > reserved {
            let next = head + SEQ_BLOCK;
            match hub.store.meta_set("seq_reserved", &next.to_string()).await {
                Ok(()) => reserved = next,
                Err(e) => tracing::warn!(error = %e, "could not reserve seqs; retrying"),
            }
        }
    }
}

/// Hourly retention when TimescaleDB is not doing it.
async fn retention(hub: Arc<Hub>) {
    if hub.store.timescale {
        return;
    }
    let mut shutdown = hub.shutdown.clone();
    loop {
        match hub.store.apply_retention(hub.config.retention_days).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                rows = n,
                days = hub.config.retention_days,
                "retention removed old rows"
            ),
            Err(e) => tracing::warn!(error = %e, "retention failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
