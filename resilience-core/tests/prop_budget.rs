//! Property test of the retry budget against a reference model.
//!
//! The model is the budget of `retry::budget`'s docs written the plain way: a map from
//! tick to first attempts and to retries spent, a count of first attempts not yet placed
//! and the tick they started from, no atomics, no slots, no tags, no bit packing.
//! Random settings get random sequences of steps (first attempts, time passing,
//! retries at both prices, status reads), and after every step the real budget must
//! agree with the model on whether a retry is paid for and on every figure of
//! `stats()`.
//!
//! Runs on tokio's paused clock, so ticks are exact.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use resilience_core::retry::{BudgetStats, Price, RetryBudget};

// ---------------------------------------------------------------- the model

#[derive(Clone, Copy, Debug)]
struct Config {
    ratio_ppm: u64,
    floor_milli: u64,
    window_secs: u64,
    throttled_milli: u64,
}

#[derive(Debug, Default)]
struct Model {
    /// When the budget first read the clock (milliseconds from the test's start).
    origin: Option<u64>,
    /// First attempts not yet placed, and the tick from which they accumulated.
    pending: u64,
    since: Option<u64>,
    deposits: BTreeMap<u64, u64>,
    /// Retries per tick, in thousandths.
    spent: BTreeMap<u64, u64>,
}

impl Model {
    fn tick(&mut self, config: &Config, now: u64) -> u64 {
        let origin = *self.origin.get_or_insert(now);
        // Ten ticks per window.
        (now - origin) / (config.window_secs * 100)
    }

    fn deposit(&mut self, config: &Config, now: u64) {
        if self.since.is_none() {
            self.since = Some(self.tick(config, now));
        }
        self.pending += 1;
    }

    /// Spread the pending first attempts evenly over the ticks since they began to
    /// accumulate, the remainder on the earliest.
    fn place(&mut self, tick: u64) {
        let since = self.since.unwrap_or(tick);
        let ticks = tick - since + 1;
        for (i, at) in (since..=tick).enumerate() {
            let share = self.pending / ticks + u64::from((i as u64) < self.pending % ticks);
            *self.deposits.entry(at).or_default() += share;
        }
        self.pending = 0;
        self.since = Some(tick);
    }

    fn in_window(map: &BTreeMap<u64, u64>, tick: u64) -> u64 {
        map.range(tick.saturating_sub(9)..=tick)
            .map(|(_, n)| n)
            .sum()
    }

    /// Earned and spent, in millionths of a retry.
    fn balance(&self, config: &Config, tick: u64) -> (u128, u128) {
        let reserve = u128::from(config.floor_milli) * u128::from(config.window_secs) * 1000;
        let deposits = u128::from(Self::in_window(&self.deposits, tick));
        let earned = reserve + u128::from(config.ratio_ppm) * deposits;
        let spent = u128::from(Self::in_window(&self.spent, tick)) * 1000;
        (earned, spent)
    }

    fn withdraw(&mut self, config: &Config, now: u64, price: Price) -> bool {
        let tick = self.tick(config, now);
        self.place(tick);
        let cost = match price {
            Price::Retry => 1000,
            Price::Throttled => config.throttled_milli,
        };
        let (earned, spent) = self.balance(config, tick);
        if spent + u128::from(cost) * 1000 > earned {
            return false;
        }
        *self.spent.entry(tick).or_default() += cost;
        true
    }

    fn stats(&mut self, config: &Config, now: u64) -> BudgetStats {
        let tick = self.tick(config, now);
        self.place(tick);
        let (earned, spent) = self.balance(config, tick);
        BudgetStats {
            first_attempts: Self::in_window(&self.deposits, tick),
            retries: Self::in_window(&self.spent, tick) as f64 / 1e3,
            available: earned.saturating_sub(spent) as f64 / 1e6,
        }
    }
}

// ---------------------------------------------------------------- the steps

#[derive(Clone, Debug)]
enum Step {
    FirstAttempts(u32),
    Wait(u64),
    Retry(Price),
    Stats,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1..=12_u32).prop_map(Step::FirstAttempts),
        3 => (0..=2_500_u64).prop_map(Step::Wait),
        1 => (20_000..=60_000_u64).prop_map(Step::Wait),
        4 => prop_oneof![Just(Price::Retry), Just(Price::Throttled)].prop_map(Step::Retry),
        1 => Just(Step::Stats),
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop::sample::select(vec![0_u64, 100_000, 200_000, 333_333, 1_000_000]),
        prop::sample::select(vec![0_u64, 100, 1_000, 2_500]),
        prop::sample::select(vec![1_u64, 10]),
        prop::sample::select(vec![0_u64, 500, 1_000]),
    )
        .prop_map(
            |(ratio_ppm, floor_milli, window_secs, throttled_milli)| Config {
                ratio_ppm,
                floor_milli,
                window_secs,
                throttled_milli,
            },
        )
}

fn budget(config: &Config) -> RetryBudget {
    RetryBudget::builder()
        .ratio(config.ratio_ppm as f64 / 1e6)
        .floor(config.floor_milli as f64 / 1e3)
        .window(Duration::from_secs(config.window_secs))
        .throttled_cost(config.throttled_milli as f64 / 1e3)
        .build()
        .expect("valid settings")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_budget_agrees_with_the_model(config in config(), steps in prop::collection::vec(step(), 1..80)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let real = budget(&config);
            let mut model = Model::default();
            let start = tokio::time::Instant::now();
            for (i, step) in steps.iter().enumerate() {
                let now = u64::try_from(start.elapsed().as_millis()).expect("fits");
                match step {
                    Step::FirstAttempts(n) => {
                        for _ in 0..*n {
                            real.deposit();
                            model.deposit(&config, now);
                        }
                    }
                    Step::Wait(ms) => tokio::time::advance(Duration::from_millis(*ms)).await,
                    Step::Retry(price) => {
                        let want = model.withdraw(&config, now, *price);
                        prop_assert_eq!(real.try_withdraw(*price), want, "step {}: {:?}", i, step);
                    }
                    Step::Stats => {
                        let want = model.stats(&config, now);
                        prop_assert_eq!(real.stats(), want, "step {}", i);
                    }
                }
            }
            let now = u64::try_from(start.elapsed().as_millis()).expect("fits");
            prop_assert_eq!(real.stats(), model.stats(&config, now));
            Ok(())
        })?;
    }
}
