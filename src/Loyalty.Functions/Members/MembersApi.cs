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
            .AcceptsJson<MemberRequest>();
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

        // The one read outside the save: whether a named referrer exists (and is not erased).
        var referrerExists = profile!.ReferredBy is { } named && named != id && await store.GetAsync(named, ct) is { IsErased: false };
        // Decided on the member as the save reads it. The referrer is set at enrolment; an update that leaves it out keeps it.
        ProfileDecision Decide(StoredMember? current) => ReferralProblem(id, current, profile, referrerExists) is { } referral
            ? ProfileDecision.Refuse(referral)
            : ProfileDecision.Store(profile with { ReferredBy = current?.Profile.ReferredBy ?? profile.ReferredBy });

        var save = await store.SaveProfileAsync(id, Decide, ct);
        if (save.Refusal is { } refusal)
        {
            return refusal == MemberStore.MemberErased ? Problems.Rejected(refusal) : Problems.Invalid("referredBy", refusal);
        }

        var response = MemberResponse.From(save.Member!, program.Tiers);
        return save.Created ? TypedResults.Created($"/api/members/{id.Value}", response) : TypedResults.Ok(response);
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

        // Whether the member exists and their ledger page are independent reads: both at once.
        var member = MemberId.Parse(id!);
        var stored = store.GetAsync(member, ct);
        var page = store.GetLedgerAsync(member, pageSize, before, ct);
        await Task.WhenAll(stored, page);
        if (stored.Result is null)
        {
            return Problems.NotFound(memberId);
        }

        var (entries, next) = page.Result;
        return TypedResults.Ok(new LedgerPage(
            [.. entries.Select(LedgerEntryResponse.From)],
            next?.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>A referrer must be another member who enrolled before, and is set only at enrolment. Together these
    /// rule out loops: a member can only name someone who existed first, and can never be renamed later.</summary>
    private static string? ReferralProblem(MemberId id, StoredMember? current, MemberProfile profile, bool referrerExists)
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

        return referrerExists ? null : $"No member has the id '{referrer.Value}'.";
    }

    private static ProblemHttpResult InvalidId() =>
        Problems.Invalid("memberId", $"Must be 1 to {Ids.MaxLength} characters of A-Z, a-z, 0-9, '_' and '-'.");
}
