"""Small input and output shapes; the services decide every rule."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.approvals.models import Comment, Decision
from apps.assets.models import Asset, Rendition
from apps.generation.models import GenerationJob, ModelRoute
from apps.policies.models import IntendedUse
from apps.projects.models import Project
from apps.prompts.models import PromptTemplate


class ProjectOut(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["slug", "name", "description", "created_at"]


class TemplateOut(serializers.ModelSerializer):
    version = serializers.IntegerField(source="current_version.number", read_only=True)
    body = serializers.CharField(source="current_version.body", read_only=True)
    negative_prompt = serializers.CharField(
        source="current_version.negative_prompt", read_only=True
    )
    variables = serializers.ListField(
        source="current_version.variables", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = PromptTemplate
        fields = ["id", "name", "version", "body", "negative_prompt", "variables", "created_at"]


class TemplateIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    body = serializers.CharField()
    negative_prompt = serializers.CharField(required=False, allow_blank=True, default="")


class TemplateVersionIn(serializers.Serializer):
    body = serializers.CharField()
    negative_prompt = serializers.CharField(required=False, allow_blank=True, default="")


class JobIn(serializers.Serializer):
    route = serializers.CharField()
    width = serializers.IntegerField(min_value=16, max_value=4096)
    height = serializers.IntegerField(min_value=16, max_value=4096)
    prompt = serializers.CharField(required=False, allow_blank=True, default="")
    negative_prompt = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    template = serializers.IntegerField(required=False, help_text="Template id (current version).")
    variables = serializers.DictField(child=serializers.CharField(), required=False)
    seed = serializers.IntegerField(required=False, min_value=0)
    steps = serializers.IntegerField(required=False, min_value=1)
    guidance = serializers.FloatField(required=False, min_value=0)
    parent_asset = serializers.UUIDField(required=False, help_text="Regenerate from this asset.")


class JobOut(serializers.ModelSerializer):
    route = serializers.CharField(source="route.name")
    progress = serializers.IntegerField(source="progress_percent")
    asset = serializers.SerializerMethodField()
    parent_asset = serializers.UUIDField(source="parent_asset_id", allow_null=True)

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "status",
            "stage",
            "progress",
            "progress_step",
            "steps",
            "guidance",
            "seed",
            "width",
            "height",
            "route",
            "prompt",
            "negative_prompt",
            "failure_reason",
            "model_name",
            "weights_revision",
            "parent_asset",
            "asset",
            "created_at",
            "started_at",
            "first_image_at",
            "finished_at",
        ]

    def get_asset(self, job: GenerationJob) -> str | None:
        asset = getattr(job, "asset", None)
        return str(asset.pk) if asset is not None else None


class RenditionOut(serializers.ModelSerializer):
    class Meta:
        model = Rendition
        fields = ["name", "format", "width", "height", "size_bytes", "sha256", "quality", "ssim"]


class DecisionOut(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["verdict", "comment", "decided_by_username", "content_sha256", "created_at"]


class AssetOut(serializers.ModelSerializer):
    job = serializers.UUIDField(source="job_id")
    route = serializers.CharField(source="job.route.name")
    created_by = serializers.CharField(source="job.created_by.username", default=None)

    class Meta:
        model = Asset
        fields = [
            "id",
            "state",
            "sha256",
            "format",
            "width",
            "height",
            "size_bytes",
            "job",
            "route",
            "created_by",
            "created_at",
        ]


_DATETIME = serializers.DateTimeField()
# AssetOut's fields, as `values()` columns (keys are the output names).
ASSET_ROW_COLUMNS = {
    **{f: f for f in ("id", "state", "sha256", "format", "width", "height", "size_bytes")},
    "job": "job_id",
    "route": "job__route__name",
    "created_by": "job__created_by__username",
    "created_at": "created_at",
}


def asset_row(row: dict[str, Any]) -> dict[str, Any]:
    """One `values()` row in AssetOut's shape (ids and times as AssetOut writes them)."""
    out = {name: row[column] for name, column in ASSET_ROW_COLUMNS.items()}
    out["id"], out["job"] = str(out["id"]), str(out["job"])
    out["created_at"] = _DATETIME.to_representation(out["created_at"])
    return out


class AssetDetailOut(AssetOut):
    lineage = serializers.SerializerMethodField()
    qa = serializers.JSONField(source="qa_results")
    decisions = DecisionOut(many=True)
    renditions = RenditionOut(many=True)
    provenance = serializers.SerializerMethodField()

    class Meta(AssetOut.Meta):
        fields = [*AssetOut.Meta.fields, "lineage", "qa", "decisions", "renditions", "provenance"]

    def get_lineage(self, asset: Asset) -> list[str]:
        from apps.assets.selectors import asset_lineage

        return [str(a.pk) for a in asset_lineage(asset=asset)]

    def get_provenance(self, asset: Asset) -> dict[str, Any]:
        original = next((r for r in asset.renditions.all() if r.name == "original"), None)
        return {
            "digital_source_type": "trainedAlgorithmicMedia",
            "model": asset.job.model_name,
            "weights_revision": asset.job.weights_revision,
            "c2pa": (original.provenance.get("c2pa") if original else None) or "not delivered yet",
        }


class DecisionIn(serializers.Serializer):
    verdict = serializers.ChoiceField(choices=["approve", "reject", "request_changes"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawIn(serializers.Serializer):
    comment = serializers.CharField()


class CommentOut(serializers.ModelSerializer):
    verdict = serializers.CharField(source="decision.verdict", default=None)

    class Meta:
        model = Comment
        fields = ["id", "parent", "author_username", "body", "verdict", "created_at"]


class CommentIn(serializers.Serializer):
    body = serializers.CharField()
    parent = serializers.IntegerField(required=False)


class ShareLinkOut(serializers.Serializer):
    id = serializers.IntegerField()
    asset = serializers.UUIDField(source="asset_id")
    prefix = serializers.CharField()
    label = serializers.CharField()
    expires_at = serializers.DateTimeField()
    max_downloads = serializers.IntegerField(allow_null=True)
    downloads = serializers.IntegerField()
    views = serializers.IntegerField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ShareLinkIn(serializers.Serializer):
    label = serializers.CharField(required=False, allow_blank=True, default="")
    expires_in_days = serializers.IntegerField(default=7)
    max_downloads = serializers.IntegerField(required=False, allow_null=True, default=None)


class ShareLinkCreated(ShareLinkOut):
    url = serializers.CharField(help_text="Shown once: only its hash is stored.")


class AuditEventOut(serializers.Serializer):
    sequence = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor_username = serializers.CharField()
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    target_label = serializers.CharField()
    project_slug = serializers.CharField()
    request_id = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    payload = serializers.JSONField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class UsagePolicyOut(serializers.Serializer):
    project = serializers.CharField(source="project.slug", default=None)
    version = serializers.IntegerField()
    intended_use = serializers.CharField()
    allowed_routes = serializers.SerializerMethodField()
    max_width = serializers.IntegerField()
    max_height = serializers.IntegerField()
    max_steps = serializers.IntegerField()
    finals_need_approval = serializers.BooleanField()
    prompt_retention_days = serializers.IntegerField(allow_null=True)
    quarantine_retention_days = serializers.IntegerField()
    rejected_retention_days = serializers.IntegerField(allow_null=True)
    legal_hold = serializers.BooleanField()
    legal_hold_reason = serializers.CharField()
    updated_at = serializers.DateTimeField()

    def get_allowed_routes(self, policy: Any) -> list[str]:
        return [r.name for r in policy.allowed_routes.all()]


class UsagePolicyIn(serializers.Serializer):
    """Any subset of a usage policy's fields; `allowed_routes` empty means every enabled route."""

    intended_use = serializers.ChoiceField(choices=IntendedUse.choices)
    allowed_routes = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=ModelRoute.objects.all()
    )
    max_width = serializers.IntegerField(min_value=64)
    max_height = serializers.IntegerField(min_value=64)
    max_steps = serializers.IntegerField(min_value=1, max_value=1000)
    finals_need_approval = serializers.BooleanField()
    prompt_retention_days = serializers.IntegerField(min_value=1, allow_null=True)
    quarantine_retention_days = serializers.IntegerField(min_value=1)
    rejected_retention_days = serializers.IntegerField(min_value=1, allow_null=True)
    legal_hold = serializers.BooleanField()
    legal_hold_reason = serializers.CharField(max_length=300, allow_blank=True)
