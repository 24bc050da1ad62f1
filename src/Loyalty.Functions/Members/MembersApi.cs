using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Members;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Members;

public static class MembersApi
{
    public static IEndpointRouteBuilder MapMembersApi(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/members").WithTags("Members").ProducesProblem(StatusCodes.Status404NotFound);
        members.MapPut("/{memberId}", PutMember)
            .WithName("PutMember")
            .WithSummary("Enroll a member, or replace their profile")
            .Accepts<MemberRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        members.MapGet("/{memberId}", GetMember).WithName("GetMember").WithSummary("A member, their points and tier");
        members.MapGet("/{memberId}/ledger", GetLedger).WithName("GetLedger").WithSummary("The member's ledger, newest first");
        return app;
    }

    private static async Task<Results<Created<MemberResponse>, Ok<MemberResponse>, ProblemHttpResult>> PutMember(
        string memberId, HttpRequest request, MemberStore store, ProgramDefinition program, CancellationToken ct)
    {
        if (!MemberId.TryParse(memberId, out var id))
        {
            return InvalidId();
        }

        var (body, problem) = await JsonBody.ReadAsync<MemberRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var profile = body!.ToProfile(v);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var current = await store.GetAsync(id, ct);
        if (current is { IsErased: true })
        {
            return Problems.Rejected(MemberStore.MemberErased);
        }

        if (await ReferralProblem(id, current, profile!, store, ct) is { } referral)
        {
            return Problems.Invalid("referredBy", referral);
        }

        // The referrer is set at enrolment; an update that leaves it out keeps it.
        profile = profile! with { ReferredBy = current?.Profile.ReferredBy ?? profile!.ReferredBy };
        var (created, member) = await store.SaveProfileAsync(id, profile!, ct);
        var response = MemberResponse.From(member, program.Tiers);
        return created ? TypedResults.Created($"/api/members/{id.Value}", response) : TypedResults.Ok(response);
    }

    private static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> GetMember(
        string memberId, MemberStore store, ProgramDefinition program, CancellationToken ct)
    {
        if (!MemberId.TryParse(memberId, out var id))
        {
            return InvalidId();
        }

        var member = await store.GetAsync(id, ct);
        return member is null ? Problems.NotFound(memberId) : TypedResults.Ok(MemberResponse.From(member, program.Tiers));
    }

    private static async Task<Results<Ok<LedgerPage>, ProblemHttpResult>> GetLedger(
        string memberId, string? limit, string? continuation, MemberStore store, CancellationToken ct)
    {
        var v = new Validator();
        var id = v.Id("memberId", memberId);
        var pageSize = 50;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > 200))
        {
            v.Add("limit", "Must be a whole number from 1 to 200.");
        }

        long? before = null;
        if (continuation is not null)
        {
            before = long.TryParse(continuation, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : null;
            if (before is null)
            {
                v.Add("continuation", "Must be the continuation of a previous page.");
            }
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var member = MemberId.Parse(id!);
        if (await store.GetAsync(member, ct) is null)
        {
            return Problems.NotFound(memberId);
        }

        var (entries, next) = await store.GetLedgerAsync(member, pageSize, before, ct);
        return TypedResults.Ok(new LedgerPage(
            [.. entries.Select(LedgerEntryResponse.From)],
            next?.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>A referrer must be another member who enrolled before, and is set only at enrolment. Together these
    /// rule out loops: a member can only name someone who existed first, and can never be renamed later.</summary>
    private static async Task<string?> ReferralProblem(MemberId id, StoredMember? current, MemberProfile profile, MemberStore store, CancellationToken ct)
    {
        if (profile.ReferredBy is not { } referrer || referrer == current?.Profile.ReferredBy)
        {
            return null;
        }

        if (referrer == id)
        {
            return "A member cannot refer themselves.";
        }

        if (current is not null)
        {
            return current.Profile.ReferredBy is null
                ? "The referrer can only be given when the member enrolls."
                : "The referrer was set at enrolment and cannot change.";
        }

        return await store.GetAsync(referrer, ct) is { IsErased: false } ? null : $"No member has the id '{referrer.Value}'.";
    }

    private static ProblemHttpResult InvalidId() =>
        Problems.Invalid("memberId", $"Must be 1 to {Ids.MaxLength} characters of A-Z, a-z, 0-9, '_' and '-'.");
}
