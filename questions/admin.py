from django.contrib import admin

from questions.models import (
    Category,
    Choice,
    Hint,
    Profile,
    Question,
    Round,
    RubricPoint,
    Tag,
    Track,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    filter_horizontal = ["categories"]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    filter_horizontal = ["rounds"]


class HintInline(admin.TabularInline):
    model = Hint
    fields = ["position", "text"]
    extra = 0


class RubricInline(admin.TabularInline):
    model = RubricPoint
    fields = ["position", "text"]
    extra = 0


class ChoiceInline(admin.TabularInline):
    model = Choice
    fields = ["position", "text", "is_correct"]
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "category", "kind", "difficulty", "owner", "visibility"]
    list_filter = ["category", "kind", "difficulty", "visibility", "rounds"]
    search_fields = ["slug", "title"]
    filter_horizontal = ["rounds", "tags"]
    raw_id_fields = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [HintInline, RubricInline, ChoiceInline]


admin.site.register(Tag)
admin.site.register(Profile)
