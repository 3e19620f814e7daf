//! Agent assignment (SPEC-FORMATS.md §1, "Meaning"): which agent service takes each piece
//! of work. Pure and deterministic, so that planning the same inputs twice proposes the
//! same agents and a plan never flips assignments back and forth.
//!
//! Work is handled most urgent first, so that when capacity is short it is the low-priority
//! work that waits. An agent never gets more than its `max_concurrent_tasks`, counting the
//! open work it already carries.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub name: String,
    pub capabilities: Vec<String>,
    /// `auto_assignment_priority`: lower wins a tie.
    pub priority: i64,
    pub max_concurrent: u32,
    /// Open work already carrying the agent (from the mirror).
    pub load: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Work {
    pub key: String,
    /// 0 critical, 1 high, 2 medium, 3 low, 4 none.
    pub priority_rank: u8,
    /// Position in the specification; earlier work goes first among equal priorities.
    pub order: usize,
    /// Agents allowed to take the work (an epic's `assigned_agent_services`, or the
    /// configuration's `auto_assignment_rules` for its category); `None`: any agent.
    pub pool: Option<Vec<String>>,
    /// The epic's category and any required capability; an agent needs one of them.
    pub capabilities: Vec<String>,
    /// `assigned_agent` as written in the specification.
    pub explicit: Option<String>,
}

/// Who takes one piece of work, or why no one can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignment {
    Assigned { agent: String, explicit: bool },
    Unassigned { reason: String },
}

/// The rank of a priority name (`critical` first); unknown or missing priorities come last.
pub fn priority_rank(priority: Option<&str>) -> u8 {
    match priority.map(|p| p.trim().to_lowercase()).as_deref() {
        Some("critical") => 0,
        Some("high") => 1,
        Some("medium") => 2,
        Some("low") => 3,
        _ => 4,
    }
}

/// Whether `agent` may take `work` by pool and capability, capacity aside. Work that names
/// no capability at all can go to any agent of its pool, and to no one without a pool:
/// handing it to an arbitrary agent would be a guess.
pub fn is_eligible(agent: &Agent, work: &Work) -> bool {
    let in_pool = match &work.pool {
        Some(pool) => pool.iter().any(|name| same_name(name, &agent.name)),
        None => true,
    };
    let capable = if work.capabilities.is_empty() {
        work.pool.is_some()
    } else {
        work.capabilities
            .iter()
            .any(|wanted| agent.capabilities.iter().any(|c| same_name(c, wanted)))
    };
    in_pool && capable
}

/// One assignment per piece of work, in the order of `work`.
pub fn assign(agents: &[Agent], work: &[Work]) -> Vec<Assignment> {
    // A canonical roster makes the result independent of the order agents were listed in.
    let mut roster = agents.to_vec();
    roster.sort_by(canonical_order);

    let mut queue: Vec<usize> = (0..work.len()).collect();
    queue.sort_by_key(|&i| (work[i].priority_rank, work[i].order, i));

    let mut assignments: Vec<Option<Assignment>> = vec![None; work.len()];
    for i in queue {
        assignments[i] = Some(assign_one(&mut roster, &work[i]));
    }
    assignments.into_iter().flatten().collect()
}

fn assign_one(roster: &mut [Agent], work: &Work) -> Assignment {
    if let Some(name) = &work.explicit {
        return assign_explicitly(roster, name);
    }
    let eligible: Vec<usize> = (0..roster.len())
        .filter(|&i| is_eligible(&roster[i], work))
        .collect();
    if eligible.is_empty() {
        return Assignment::Unassigned {
            reason: why_nobody_qualifies(roster, work),
        };
    }
    let best = eligible
        .iter()
        .copied()
        .filter(|&i| has_room(&roster[i]))
        .min_by(|&a, &b| preference(&roster[a], &roster[b]));
    match best {
        Some(i) => take(&mut roster[i], false),
        None => Assignment::Unassigned {
            reason: format!(
                "all eligible agents are at capacity: {}",
                eligible
                    .iter()
                    .map(|&i| capacity_note(&roster[i]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

/// An explicit choice in the specification overrides pool and capability, never capacity.
fn assign_explicitly(roster: &mut [Agent], name: &str) -> Assignment {
    let found = roster
        .iter()
        .position(|a| a.name == name)
        .or_else(|| roster.iter().position(|a| same_name(&a.name, name)));
    match found {
        None => Assignment::Unassigned {
            reason: format!("{name} is not a configured agent service"),
        },
        Some(i) if !has_room(&roster[i]) => Assignment::Unassigned {
            reason: format!(
                "{} is at capacity ({} of {})",
                roster[i].name, roster[i].load, roster[i].max_concurrent
            ),
        },
        Some(i) => take(&mut roster[i], true),
    }
}

fn take(agent: &mut Agent, explicit: bool) -> Assignment {
    agent.load = agent.load.saturating_add(1);
    Assignment::Assigned {
        agent: agent.name.clone(),
        explicit,
    }
}

fn has_room(agent: &Agent) -> bool {
    agent.load < agent.max_concurrent
}

/// `agent:x (10 of 10)`.
fn capacity_note(agent: &Agent) -> String {
    format!(
        "{} ({} of {})",
        agent.name, agent.load, agent.max_concurrent
    )
}

/// Lowest utilization first (load / max, compared as exact fractions so that no rounding
/// decides), then the lowest `auto_assignment_priority`, then the name.
fn preference(a: &Agent, b: &Agent) -> Ordering {
    let a_util = u64::from(a.load) * u64::from(b.max_concurrent);
    let b_util = u64::from(b.load) * u64::from(a.max_concurrent);
    a_util
        .cmp(&b_util)
        .then(a.priority.cmp(&b.priority))
        .then(a.name.cmp(&b.name))
}

/// A total order on agents, so that even agents differing only in fields the preference
/// ignores are always considered in the same order.
fn canonical_order(a: &Agent, b: &Agent) -> Ordering {
    (
        &a.name,
        a.priority,
        a.max_concurrent,
        a.load,
        &a.capabilities,
    )
        .cmp(&(
            &b.name,
            b.priority,
            b.max_concurrent,
            b.load,
            &b.capabilities,
        ))
}

fn why_nobody_qualifies(roster: &[Agent], work: &Work) -> String {
    if roster.is_empty() {
        return "no agent services are configured".into();
    }
    let among = match &work.pool {
        Some(pool) if pool.is_empty() => return "the list of agents allowed is empty".into(),
        Some(pool)
            if !roster
                .iter()
                .any(|a| pool.iter().any(|p| same_name(p, &a.name))) =>
        {
            return format!(
                "none of the agents allowed ({}) is a configured agent service",
                pool.join(", ")
            )
        }
        Some(pool) => format!(" among {}", pool.join(", ")),
        None => String::new(),
    };
    if work.capabilities.is_empty() {
        return "the work names no category or required capability to match agents by".into();
    }
    format!(
        "no agent{among} has capability {}",
        work.capabilities.join(" or ")
    )
}

/// Agent names and capabilities are compared ignoring case (`agent:Dev` is `agent:dev`,
/// as GitHub label names are).
fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn agent(name: &str, caps: &[&str], priority: i64, max: u32, load: u32) -> Agent {
        Agent {
            name: name.into(),
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            priority,
            max_concurrent: max,
            load,
        }
    }

    fn work(key: &str, rank: u8, order: usize, caps: &[&str]) -> Work {
        Work {
            key: key.into(),
            priority_rank: rank,
            order,
            pool: None,
            capabilities: caps.iter().map(|c| c.to_string()).collect(),
            explicit: None,
        }
    }

    fn assigned(name: &str) -> Assignment {
        Assignment::Assigned {
            agent: name.into(),
            explicit: false,
        }
    }

    #[test]
    fn lowest_utilization_wins_then_priority_then_name() {
        let agents = [
            agent("agent:b", &["dev"], 1, 10, 5),
            agent("agent:a", &["dev"], 2, 4, 1),
        ];
        // 1/4 beats 5/10.
        assert_eq!(
            assign(&agents, &[work("w", 2, 0, &["dev"])]),
            [assigned("agent:a")]
        );

        let tied = [
            agent("agent:b", &["dev"], 1, 10, 5),
            agent("agent:a", &["dev"], 2, 2, 1),
        ];
        // Equal utilization (exactly 1/2): the lower priority number wins.
        assert_eq!(
            assign(&tied, &[work("w", 2, 0, &["dev"])]),
            [assigned("agent:b")]
        );

        let same = [
            agent("agent:b", &["dev"], 1, 10, 0),
            agent("agent:a", &["dev"], 1, 10, 0),
        ];
        assert_eq!(
            assign(&same, &[work("w", 2, 0, &["dev"])]),
            [assigned("agent:a")]
        );
    }

    #[test]
    fn load_spreads_over_agents() {
        let agents = [
            agent("agent:a", &["dev"], 1, 2, 0),
            agent("agent:b", &["dev"], 2, 2, 0),
        ];
        let w: Vec<Work> = (0..3)
            .map(|i| work(&format!("w{i}"), 2, i, &["dev"]))
            .collect();
        assert_eq!(
            assign(&agents, &w),
            [
                assigned("agent:a"),
                assigned("agent:b"),
                assigned("agent:a")
            ]
        );
    }

    #[test]
    fn critical_work_gets_the_last_capacity() {
        let agents = [agent("agent:a", &["dev"], 1, 1, 0)];
        let w = [
            work("low", 3, 0, &["dev"]),
            work("critical", 0, 1, &["dev"]),
        ];
        let out = assign(&agents, &w);
        assert_eq!(out[1], assigned("agent:a"));
        assert_eq!(
            out[0],
            Assignment::Unassigned {
                reason: "all eligible agents are at capacity: agent:a (1 of 1)".into()
            }
        );
    }

    #[test]
    fn explicit_assignment_ignores_pool_and_capability_but_not_capacity() {
        let agents = [
            agent("agent:x", &["ops"], 1, 10, 10),
            agent("agent:y", &["ops"], 1, 10, 0),
        ];
        let mut w = work("w", 2, 0, &["dev"]);
        w.pool = Some(vec!["agent:z".into()]);
        w.explicit = Some("agent:Y".into());
        assert_eq!(
            assign(&agents, std::slice::from_ref(&w)),
            [Assignment::Assigned {
                agent: "agent:y".into(),
                explicit: true
            }]
        );
        w.explicit = Some("agent:x".into());
        assert_eq!(
            assign(&agents, &[w.clone()]),
            [Assignment::Unassigned {
                reason: "agent:x is at capacity (10 of 10)".into()
            }]
        );
        w.explicit = Some("agent:nobody".into());
        assert_eq!(
            assign(&agents, &[w]),
            [Assignment::Unassigned {
                reason: "agent:nobody is not a configured agent service".into()
            }]
        );
    }

    #[test]
    fn pool_and_capability_restrict_and_reasons_say_why() {
        let agents = [
            agent("agent:dev", &["Development"], 1, 10, 0),
            agent("agent:ops", &["infrastructure"], 1, 10, 0),
        ];
        let mut w = work("w", 2, 0, &["infrastructure", "development"]);
        w.pool = Some(vec!["agent:dev".into()]);
        assert_eq!(assign(&agents, &[w.clone()]), [assigned("agent:dev")]);

        w.capabilities = vec!["security".into()];
        assert_eq!(
            assign(&agents, &[w.clone()]),
            [Assignment::Unassigned {
                reason: "no agent among agent:dev has capability security".into()
            }]
        );
        w.pool = None;
        assert_eq!(
            assign(&agents, &[w.clone()]),
            [Assignment::Unassigned {
                reason: "no agent has capability security".into()
            }]
        );
        w.pool = Some(vec!["agent:gone".into()]);
        assert_eq!(
            assign(&agents, &[w.clone()]),
            [Assignment::Unassigned {
                reason: "none of the agents allowed (agent:gone) is a configured agent service"
                    .into()
            }]
        );
        assert_eq!(
            assign(&[], &[w]),
            [Assignment::Unassigned {
                reason: "no agent services are configured".into()
            }]
        );
    }

    #[test]
    fn work_without_capabilities_needs_a_pool() {
        let agents = [agent("agent:a", &["dev"], 1, 10, 0)];
        let mut w = work("w", 2, 0, &[]);
        assert!(matches!(
            assign(&agents, &[w.clone()])[0],
            Assignment::Unassigned { .. }
        ));
        w.pool = Some(vec!["agent:a".into()]);
        assert_eq!(assign(&agents, &[w]), [assigned("agent:a")]);
    }

    #[test]
    fn priority_ranks() {
        assert_eq!(priority_rank(Some("Critical")), 0);
        assert_eq!(priority_rank(Some("low")), 3);
        assert_eq!(priority_rank(Some("urgent")), 4);
        assert_eq!(priority_rank(None), 4);
    }

    const NAMES: [&str; 5] = ["agent:a", "agent:b", "agent:c", "agent:d", "agent:e"];
    const CAPS: [&str; 4] = ["dev", "Dev", "ops", "qa"];

    fn caps() -> impl Strategy<Value = Vec<String>> {
        prop::sample::subsequence(CAPS.to_vec(), 0..=3)
            .prop_map(|c| c.into_iter().map(String::from).collect())
    }

    fn agents() -> impl Strategy<Value = Vec<Agent>> {
        prop::collection::vec((caps(), 0i64..4, 0u32..4, 0u32..6), 0..=NAMES.len()).prop_map(
            |specs| {
                specs
                    .into_iter()
                    .enumerate()
                    .map(
                        |(i, (capabilities, priority, max_concurrent, load))| Agent {
                            name: NAMES[i].into(),
                            capabilities,
                            priority,
                            max_concurrent,
                            load,
                        },
                    )
                    .collect()
            },
        )
    }

    fn any_name() -> impl Strategy<Value = String> {
        // Includes a name no agent has and a differently cased one.
        prop::sample::select(vec!["agent:a", "agent:B", "agent:c", "agent:z"])
            .prop_map(String::from)
    }

    fn works() -> impl Strategy<Value = Vec<Work>> {
        let one = (
            0u8..5,
            0usize..6,
            prop::option::of(prop::collection::vec(any_name(), 0..3)),
            caps(),
            prop::option::weighted(0.2, any_name()),
        );
        prop::collection::vec(one, 0..14).prop_map(|items| {
            items
                .into_iter()
                .enumerate()
                .map(
                    |(i, (priority_rank, order, pool, capabilities, explicit))| Work {
                        key: format!("w{i}"),
                        priority_rank,
                        order,
                        pool,
                        capabilities,
                        explicit,
                    },
                )
                .collect()
        })
    }

    /// Final load per agent name after the assignments.
    fn final_loads(agents: &[Agent], assignments: &[Assignment]) -> BTreeMap<String, u32> {
        let mut loads: BTreeMap<String, u32> =
            agents.iter().map(|a| (a.name.clone(), a.load)).collect();
        for o in assignments {
            if let Assignment::Assigned { agent, .. } = o {
                *loads.get_mut(agent).expect("assigned agents exist") += 1;
            }
        }
        loads
    }

    proptest! {
        #[test]
        fn never_beyond_capacity(agents in agents(), work in works()) {
            let out = assign(&agents, &work);
            prop_assert_eq!(out.len(), work.len());
            let loads = final_loads(&agents, &out);
            for a in &agents {
                let given = loads[&a.name] - a.load;
                prop_assert!(given == 0 || loads[&a.name] <= a.max_concurrent,
                    "{} got {} with load {} of {}", a.name, given, a.load, a.max_concurrent);
            }
        }

        #[test]
        fn deterministic_and_independent_of_agent_order(
            (agents, shuffled) in agents().prop_flat_map(|a| (Just(a.clone()), Just(a).prop_shuffle())),
            work in works(),
        ) {
            let out = assign(&agents, &work);
            prop_assert_eq!(&out, &assign(&agents, &work));
            prop_assert_eq!(&out, &assign(&shuffled, &work));
        }

        #[test]
        fn assigned_agents_are_eligible_or_explicit(agents in agents(), work in works()) {
            let out = assign(&agents, &work);
            for (w, o) in work.iter().zip(&out) {
                let Assignment::Assigned { agent, explicit } = o else { continue };
                let a = agents.iter().find(|a| &a.name == agent).expect("a known agent");
                match &w.explicit {
                    Some(name) => {
                        prop_assert!(*explicit);
                        prop_assert!(name.eq_ignore_ascii_case(agent));
                    }
                    None => {
                        prop_assert!(!*explicit);
                        let in_pool = match &w.pool {
                            Some(p) => p.iter().any(|n| n.eq_ignore_ascii_case(agent)),
                            None => true,
                        };
                        let capable = if w.capabilities.is_empty() {
                            w.pool.is_some()
                        } else {
                            w.capabilities.iter().any(|c| a.capabilities.iter().any(|h| h.eq_ignore_ascii_case(c)))
                        };
                        prop_assert!(in_pool && capable, "{} is not eligible for {:?}", agent, w);
                    }
                }
            }
        }

        #[test]
        fn unassigned_work_means_every_eligible_agent_is_full(agents in agents(), work in works()) {
            let out = assign(&agents, &work);
            let loads = final_loads(&agents, &out);
            for (w, o) in work.iter().zip(&out) {
                if w.explicit.is_some() || matches!(o, Assignment::Assigned { .. }) {
                    continue;
                }
                for a in agents.iter().filter(|a| is_eligible(a, w)) {
                    prop_assert!(loads[&a.name] >= a.max_concurrent,
                        "{:?} left unassigned while {} has room", w, a.name);
                }
            }
        }
    }
}
