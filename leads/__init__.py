"""Leads: durable capture (Redis stream + current view), CRM webhook delivery, template alerts, export."""
from leads.alerts import send_lead_alerts
from leads.delivery import deliver_erasure, deliver_lead, enqueue_delivery, enqueue_erasure, reconcile, retry_lead
from leads.intake import LeadIntake, alerts_job_id, delivery_job_id, erasure_job_id
from leads.store import Capture, Lead, LeadStore

# Jobs queued before these functions left the engine (December 2026) keep their old names in Redis.
RENAMED_JOBS = {
    "wechat.leads.alerts.send_lead_alerts": "leads.alerts.send_lead_alerts",
    "wechat.leads.delivery.deliver_lead": "leads.delivery.deliver_lead",
    "wechat.leads.delivery.deliver_erasure": "leads.delivery.deliver_erasure",
}

__all__ = ["RENAMED_JOBS", "Capture", "Lead", "LeadIntake", "LeadStore", "alerts_job_id", "deliver_erasure",
           "deliver_lead", "delivery_job_id", "enqueue_delivery", "enqueue_erasure", "erasure_job_id", "reconcile",
           "retry_lead", "send_lead_alerts"]
