from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.projects.models import Project

from .models import GenerationJob


def job_list_for_project(*, project: Project) -> QuerySet[GenerationJob]:
    return GenerationJob.objects.filter(project=project).select_related("route", "created_by")


def job_get_in_project(*, project: Project, job_id: str) -> GenerationJob:
    job = job_list_for_project(project=project).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    return job
