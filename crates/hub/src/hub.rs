//! The hub: the shared handles every module gets, and its start-up and shutdown.
//!
//! Architecture invariant: this is the only file that names every integration. It
//! builds each one, lists it in [`Hub::integrations`] and starts it; the HTTP,
//! channel and status modules reach them only through that list.

use crate::bus::{Bus, BusLimits};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::pipeline::{normalize, Pipeline};
use crate::producer::Producer;
use crate::store::writer::StoreQueue;
use crate::store::Store;
use landale_core::auth::{load_or_create_token, Auth};
use landale_core::{Ingest, Integration};
use landale_obs::Obs;
use landale_twitch::Twitch;
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
    /// Alert images, videos and sounds the streamer uploaded (`<data dir>/media`).
    pub media: crate::store::media::Media,
    /// OBS over obs-websocket (off when `OBS_WEBSOCKET_URL` is unset).
    pub obs: Arc<Obs>,
    /// Twitch: tokens, Helix and EventSub (off when `TWITCH_CLIENT_ID` is unset).
    pub twitch: Arc<Twitch>,
    /// The IronMON tracker's listener and the run it tracks.
    pub ironmon: Arc<landale_ironmon::Ironmon>,
    /// What is playing on Rainwave.
    pub rainwave: Arc<landale_rainwave::Rainwave>,
    /// Every integration, in the order `system:status` lists them: what the HTTP,
    /// channel and status modules mount, ask and report on.
    pub integrations: Vec<Arc<dyn Integration>>,
    /// nurvus on this machine, behind `dashboard:services`.
    pub nurvus: landale_nurvus::Nurvus,
    /// Every machine's nurvus, polled (`NURVUS_URLS`).
    pub fleet: Arc<landale_nurvus::fleet::Fleet>,
    /// Outbound HTTP (nurvus, health probes): 10 s timeout on every request.
    pub http: reqwest::Client,
    pub started: Instant,
    pub shutdown: watch::Receiver<bool>,
    /// Ids of transcriptions submitted lately, so a resubmission (its reply was lost)
    /// is stored and published once; older ones are checked in the store.
    pub recent_transcriptions: std::sync::Mutex<crate::channels::transcription::RecentIds>,
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
        let auth = Auth::new(
            token.clone(),
            config.trust_loopback,
            config.allowed_origins.clone(),
        );

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
        let obs = Obs::new(config.obs.clone(), ingest.clone());
        let twitch = Twitch::new(&config.twitch, Arc::new(store.clone()), ingest.clone()).await;
        let ironmon = landale_ironmon::Ironmon::new(
            config.ironmon.clone(),
            ingest.clone(),
            Arc::new(store.clone()),
        );
        let rainwave = landale_rainwave::Rainwave::new(config.rainwave.clone(), ingest.clone());
        let integrations: Vec<Arc<dyn Integration>> = vec![
            obs.clone(),
            twitch.clone(),
            ironmon.clone(),
            rainwave.clone(),
        ];
        let nurvus = landale_nurvus::Nurvus::new(&config.nurvus, http.clone()).with_token(token);
        let fleet = landale_nurvus::fleet::Fleet::new(
            config.nurvus.machines.clone(),
            http.clone(),
            ingest.clone(),
        );
        let media = crate::store::media::Media::new(&config.data_dir);
        let hub = Arc::new(Hub {
            config,
            store,
            bus,
            pipeline,
            metrics,
            auth,
            producer: producer.clone(),
            media,
            obs,
            twitch,
            ironmon,
            rainwave,
            integrations,
            nurvus,
            fleet,
            http,
            started: Instant::now(),
            shutdown: shutdown.clone(),
            recent_transcriptions: Default::default(),
        });
        tokio::spawn(producer.clone().run(shutdown.clone()));
        tokio::spawn(producer.saver(hub.store.clone(), shutdown.clone()));
        for integration in &hub.integrations {
            integration.clone().start(shutdown.clone());
        }
        tokio::spawn(seq_reserver(hub.clone(), head + SEQ_BLOCK));
        tokio::spawn(retention(hub.clone()));
        if !hub.fleet.machines().is_empty() {
            tokio::spawn(watch_fleet(hub.clone(), shutdown.clone()));
        }
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

/// Poll the fleet and push each change to `dashboard:services` as `fleet_update` (the
/// fleet itself turns changes into `system.*` events through the pipeline).
async fn watch_fleet(hub: Arc<Hub>, mut shutdown: watch::Receiver<bool>) {
    let mut rx = hub.fleet.subscribe();
    let forward = async {
        while rx.changed().await.is_ok() {
            let v = rx.borrow_and_update().to_string();
            hub.bus
                .publish_topic("dashboard:services", "fleet_update", v);
        }
    };
    tokio::select! {
        _ = hub.fleet.clone().run() => {}
        _ = forward => {}
        _ = shutdown.wait_for(|s| *s) => {}
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
