"""Planning: from uploaded spec files to ordered ticket briefs."""

from jobs.planning.cache import PlanCache
from jobs.planning.pipeline import UploadedFile, plan_uploads
from jobs.planning.planner import Plan, PlanOptions, plan_tickets

__all__ = ["Plan", "PlanCache", "PlanOptions", "UploadedFile", "plan_tickets", "plan_uploads"]
