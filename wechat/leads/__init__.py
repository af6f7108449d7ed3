"""Leads: durable capture (Redis stream + current view), CRM webhook delivery, template alerts, export."""
from wechat.leads.alerts import enqueue_alerts, load_template_configs
from wechat.leads.delivery import enqueue_delivery, enqueue_erasure, reconcile, retry_lead
from wechat.leads.store import Capture, Lead, LeadStore

__all__ = ["Capture", "Lead", "LeadStore", "enqueue_alerts", "enqueue_delivery", "enqueue_erasure",
           "load_template_configs", "reconcile", "retry_lead"]
