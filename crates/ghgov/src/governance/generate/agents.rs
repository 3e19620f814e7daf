//! Agents for features and tasks (epics get none): the configuration's agent services with
//! the load the mirror reports, and the specification's work, handed to `assign`.

use super::templates::lookup;
use super::tree::{non_blank, Item};
use crate::governance::assign::{assign, priority_rank, Agent, Assignment, Work};
use crate::governance::config::GovernanceConfig;
use crate::governance::desired::IssueKind;
use crate::governance::problems::{Document, Problem, Report};
use std::collections::BTreeMap;

pub(super) struct Assignee {
    pub agent: String,
    pub github_login: Option<String>,
}

/// Issue key → its agent, for the work that got one; a warning for the rest.
pub(super) fn assign_agents(
    items: &[Item],
    config: &GovernanceConfig,
    agent_load: &BTreeMap<String, u32>,
    report: &mut Report,
) -> BTreeMap<String, Assignee> {
    let agents: Vec<Agent> = config
        .agent_service_mappings
        .iter()
        .map(|(name, mapping)| Agent {
            name: name.clone(),
            capabilities: mapping.capabilities.clone(),
            priority: mapping.priority(),
            max_concurrent: mapping.max_concurrent_tasks(),
            load: load_of(name, agent_load),
        })
        .collect();
    let assignable: Vec<&Item> = items.iter().filter(|i| i.kind != IssueKind::Epic).collect();
    let work: Vec<Work> = assignable.iter().map(|i| work_for(i, config)).collect();

    let mut assigned = BTreeMap::new();
    for ((item, work), assignment) in assignable.iter().zip(&work).zip(assign(&agents, &work)) {
        match assignment {
            Assignment::Assigned { agent, .. } => {
                let github_login = config
                    .agent_service_mappings
                    .get(&agent)
                    .and_then(|m| non_blank(m.github_login.as_deref()))
                    .map(|l| l.trim().to_string());
                assigned.insert(
                    item.key.clone(),
                    Assignee {
                        agent,
                        github_login,
                    },
                );
            }
            // Without any agent services the configuration does not use agents at all:
            // only an agent the specification names explicitly is worth a warning.
            Assignment::Unassigned { .. } if agents.is_empty() && work.explicit.is_none() => {}
            Assignment::Unassigned { reason } => report.push(Problem::warning(
                Document::Spec,
                item.spec_path.clone(),
                "unassigned",
                format!("{} gets no agent: {reason}", item.key),
                "raise the agent's escalation_rules.max_concurrent_tasks, add the capability to an agent in agent_service_mappings, or name an agent with assigned_agent",
            )),
        }
    }
    assigned
}

fn work_for(item: &Item, config: &GovernanceConfig) -> Work {
    let epic = item.epic;
    let category = non_blank(epic.category.as_deref()).map(str::trim);
    let services: Vec<String> = epic
        .assigned_agent_services
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect();
    let pool = if !services.is_empty() {
        Some(services)
    } else {
        let rules = &config
            .governance_rules
            .epic_generation_rules
            .auto_assignment_rules;
        category
            .and_then(|c| lookup(rules.iter(), c))
            .map(|(_, agents)| agents.clone())
    };
    let capabilities = category
        .into_iter()
        .chain(item.required_capability().map(str::trim))
        .map(str::to_string)
        .collect();
    Work {
        key: item.key.clone(),
        priority_rank: priority_rank(item.priority().as_deref()),
        order: item.position,
        pool,
        capabilities,
        explicit: item.explicit_agent().map(str::to_string),
    }
}

/// Open issues carrying the agent's label; GitHub label names ignore case, so every
/// spelling the mirror reports counts.
fn load_of(agent: &str, agent_load: &BTreeMap<String, u32>) -> u32 {
    let agent = agent.trim().to_lowercase();
    agent_load
        .iter()
        .filter(|(label, _)| label.trim().to_lowercase() == agent)
        .fold(0u32, |sum, (_, n)| sum.saturating_add(*n))
}
