"""Leads: durable capture (Redis stream + current view), CRM webhook delivery, template alerts, export."""
from leads.alerts import enqueue_alerts
from leads.delivery import enqueue_delivery, enqueue_erasure, reconcile, retry_lead
from leads.store import Capture, Lead, LeadStore

__all__ = ["Capture", "Lead", "LeadStore", "enqueue_alerts", "enqueue_delivery", "enqueue_erasure",
           "reconcile", "retry_lead"]
