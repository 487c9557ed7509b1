//! Provisions the emulator from `infra/template.yaml`: moto's CloudFormation
//! deploys the plain resources (table + GSIs, queues + DLQs, bucket, key) and
//! skips the `AWS::Serverless::*` ones; the physical names are read back from
//! the stack. There is no second, hand-written schema.

use anyhow::{Context, Result, anyhow, bail};
use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use std::collections::HashMap;

/// The web app's origin locally (the template's `CorsAllowOrigin`).
pub const LOCAL_ORIGIN: &str = "http://127.0.0.1:3000";

/// Physical names of the deployed resources.
#[derive(Debug, Clone)]
pub struct Resources {
    pub stack: String,
    pub table: String,
    pub bucket: String,
    pub ai_jobs_queue_url: String,
    pub ai_jobs_dlq_url: String,
    /// The dead-letter queue's ARN (the worker's `AI_JOBS_DLQ_ARN`).
    pub ai_jobs_dlq_arn: String,
    pub publish_queue_url: String,
    pub publish_dlq_url: String,
    /// The publish dead-letter queue's ARN (the publish worker's `PUBLISH_DLQ_ARN`).
    pub publish_dlq_arn: String,
    /// The publish queue's ARN (the target of scheduled publishes' one-time schedules).
    pub publish_queue_arn: String,
    /// The KMS key integration credentials are encrypted under.
    pub secrets_key_id: String,
    /// The EventBridge Scheduler group of the rules' schedules.
    pub schedule_group: String,
    /// The domain events queue the automation runner consumes.
    pub automation_events_queue_url: String,
}

/// The ARNs the local schedules name (the emulator never invokes them; the
/// local scheduler calls the runner in process).
pub const LOCAL_SCHEDULER_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/igny8-local-scheduler";
pub const LOCAL_RUNNER_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:igny8-local-automation-runner";

/// Configuration pointing the same code the Lambdas run at the emulator.
pub fn config_for(endpoint: &str, res: &Resources, jwt_secret: &str) -> igny8::Config {
    let mut c = igny8::Config::local(endpoint, &res.table, jwt_secret);
    c.bucket_name = Some(res.bucket.clone());
    c.ai_jobs_queue_url = Some(res.ai_jobs_queue_url.clone());
    c.ai_jobs_dlq_arn = Some(res.ai_jobs_dlq_arn.clone());
    c.secrets_key_id = Some(res.secrets_key_id.clone());
    c.publish_queue_url = Some(res.publish_queue_url.clone());
    c.publish_dlq_arn = Some(res.publish_dlq_arn.clone());
    c.publish_queue_arn = Some(res.publish_queue_arn.clone());
    // The local WordPress (tests, `cargo xtask dev --wordpress`) is on 127.0.0.1.
    c.outbound_allow_private = true;
    c.schedule_group_name = Some(res.schedule_group.clone());
    c.scheduler_role_arn = Some(LOCAL_SCHEDULER_ROLE_ARN.into());
    c.automation_runner_arn = Some(LOCAL_RUNNER_ARN.into());
    c.automation_events_queue_url = Some(res.automation_events_queue_url.clone());
    c
}

/// Creates the stack `stack_name` on the emulator and returns its resources.
pub async fn deploy(endpoint: &str, stack_name: &str) -> Result<Resources> {
    let sdk = igny8::state::sdk_config(&igny8::Config::local(endpoint, "-", "-")).await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let body = crate::template::load_text()?;
    cfn.create_stack()
        .stack_name(stack_name)
        .template_body(body)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .parameters(Parameter::builder().parameter_key("AiProvider").parameter_value("offline").build())
        .parameters(Parameter::builder().parameter_key("CorsAllowOrigin").parameter_value(LOCAL_ORIGIN).build())
        .send()
        .await
        .map_err(|e| anyhow!("CreateStack: {}", aws_sdk_cloudformation::error::DisplayErrorContext(&e)))?;
    for _ in 0..300 {
        let out = cfn.describe_stacks().stack_name(stack_name).send().await.context("DescribeStacks")?;
        match out.stacks().first().and_then(|s| s.stack_status()) {
            Some(StackStatus::CreateComplete) => break,
            Some(StackStatus::CreateInProgress) | None => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Some(other) => bail!("stack {stack_name} ended in {other:?}"),
        }
    }
    let out = cfn
        .describe_stack_resources()
        .stack_name(stack_name)
        .send()
        .await
        .map_err(|e| anyhow!("DescribeStackResources: {}", aws_sdk_cloudformation::error::DisplayErrorContext(&e)))?;
    // moto lists the resources it skipped without a logical id; ignore those.
    let physical: HashMap<String, String> = out
        .stack_resources()
        .iter()
        .filter_map(|r| Some((r.logical_resource_id()?.to_string(), r.physical_resource_id()?.to_string())))
        .filter(|(l, p)| !l.is_empty() && !p.is_empty())
        .collect();
    let get = |id: &str| physical.get(id).cloned().ok_or_else(|| anyhow!("stack has no physical resource for {id}"));
    let ai_jobs_dlq_url = get("AiJobsDeadLetterQueue")?;
    let ai_jobs_dlq_arn = queue_arn(&aws_sdk_sqs::Client::new(&sdk), &ai_jobs_dlq_url).await?;
    let publish_dlq_url = get("PublishDeadLetterQueue")?;
    let publish_dlq_arn = queue_arn(&aws_sdk_sqs::Client::new(&sdk), &publish_dlq_url).await?;
    let publish_queue_url = get("PublishQueue")?;
    let publish_queue_arn = queue_arn(&aws_sdk_sqs::Client::new(&sdk), &publish_queue_url).await?;
    let schedule_group = match physical.get("ScheduleGroup") {
        Some(g) => g.rsplit('/').next().unwrap_or(g).to_string(),
        None => ensure_schedule_group(&sdk, &format!("igny8-automation-{stack_name}")).await?,
    };
    let res = Resources {
        stack: stack_name.to_string(),
        table: get("Table")?,
        bucket: get("AssetsBucket")?,
        ai_jobs_queue_url: get("AiJobsQueue")?,
        ai_jobs_dlq_url,
        ai_jobs_dlq_arn,
        publish_queue_url,
        publish_queue_arn,
        secrets_key_id: get("SecretsKey")?,
        publish_dlq_url,
        publish_dlq_arn,
        schedule_group,
        automation_events_queue_url: get("AutomationEventsQueue")?,
    };
    // moto accepts but ignores TimeToLiveSpecification; switch TTL on explicitly
    // so the emulator's table reports what AWS's would.
    let state = igny8::AppState::new(config_for(endpoint, &res, "-")).await;
    state.store.enable_ttl().await.map_err(|e| anyhow!("enabling TTL: {e:?}"))?;
    Ok(res)
}

/// Creates the schedule group when the emulator's CloudFormation skipped it.
async fn ensure_schedule_group(sdk: &aws_config::SdkConfig, name: &str) -> Result<String> {
    let c = aws_sdk_scheduler::Client::new(sdk);
    if c.get_schedule_group().name(name).send().await.is_err() {
        c.create_schedule_group()
            .name(name)
            .send()
            .await
            .map_err(|e| anyhow!("CreateScheduleGroup: {}", aws_sdk_scheduler::error::DisplayErrorContext(&e)))?;
    }
    Ok(name.to_string())
}

/// The ARN of a queue (`GetQueueAttributes QueueArn`).
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| anyhow!("GetQueueAttributes: {}", aws_sdk_sqs::error::DisplayErrorContext(&e)))?;
    out.attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| anyhow!("queue {url} has no QueueArn"))
}
