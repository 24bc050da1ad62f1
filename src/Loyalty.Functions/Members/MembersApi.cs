using System.Globalization;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Loyalty.Functions.Outreach;
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
            .AcceptsJson<MemberRequest>()
            .ProducesProblem(StatusCodes.Status409Conflict);
        members.MapGet("/{memberId}", GetMember).WithName("GetMember").WithSummary("A member, their points and tier");
        app.MapGet("/members", FindMember)
            .WithTags("Members")
            .WithName("FindMember")
            .WithSummary("Find a member at the till by phone number or loyalty card (exactly one of phone, card)")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        members.MapGet("/{memberId}/ledger", GetLedger)
            .WithName("GetLedger")
            .WithSummary("The member's ledger, newest first")
            .DescribesQuery("limit", () => ApiContract.Integer(1, 200, 50));
        return app;
    }

    private static async Task<Results<Created<MemberResponse>, Ok<MemberResponse>, ProblemHttpResult>> PutMember(
        string memberId, HttpRequest request, MemberStore store, MemberMessages messages, ProgramDefinition program, TimeProvider time, CancellationToken ct)
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
        var profile = body!.ToProfile(v, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
        var actor = Actor.Read(request, v);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        // The one read outside the save: whether a named referrer exists (and is not erased). The rules are decided on
        // the member as the save reads it.
        var referrerExists = profile!.ReferredBy is { } named && named != id && await store.GetAsync(named, ct) is { IsErased: false };
        var consent = new ConsentSource("api", ConsentRequestId(request.HttpContext), actor, body.SmsConsentWording);
        var save = await store.SaveProfileAsync(
            id, current => Profiles.Decide(id, current, profile, referrerExists, program.Outreach.ConsentPolicy, time.GetUtcNow()), consent, ct);
        if (save.Refusal is { } refusal)
        {
            return Problems.Refused(refusal);
        }

        // After the commit: a crash before it leaves the consent pending, and the same PUT again plans the request.
        await messages.AfterProfileSavedAsync(save.Member!, ct);

        var response = MemberResponse.From(save.Member!, program, time.GetUtcNow());
        return save.Created ? TypedResults.Created($"/api/members/{id.Value}", response) : TypedResults.Ok(response);
    }

    private static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> GetMember(
        string memberId, MemberStore store, ProgramDefinition program, TimeProvider time, CancellationToken ct)
    {
        if (!MemberId.TryParse(memberId, out var id))
        {
            return InvalidId();
        }

        var member = await store.GetAsync(id, ct);
        return member is null ? Problems.NotFound(memberId) : TypedResults.Ok(MemberResponse.From(member, program, time.GetUtcNow()));
    }

    /// <summary>The member a phone number or a card leads to, through the keyed hints (never a scan). A number that
    /// several members share answers 409 with their ids, so that the till can ask which one.</summary>
    private static async Task<Results<Ok<MemberResponse>, ProblemHttpResult>> FindMember(
        string? phone, string? card, MemberStore store, ProgramDefinition program, TimeProvider time, CancellationToken ct)
    {
        var v = new Validator();
        if ((phone is null) == (card is null))
        {
            v.Add(phone is null ? "phone" : "card", "Give exactly one of phone and card.");
        }

        // A '+' left unencoded in a query string arrives as a space.
        var e164 = phone is null ? null : MemberRequest.E164(v, "phone", phone.StartsWith(' ') ? "+" + phone.TrimStart() : phone);
        var cardNumber = card is null ? null : v.IdText("card", card);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        var found = e164 is not null ? await store.FindByPhoneAsync(e164, ct) : await store.FindByCardAsync(cardNumber!, ct) is { } m ? [m] : [];
        return found.Count switch
        {
            0 => TypedResults.Problem(
                e164 is not null ? "No member has this phone number." : "No member has this card.", statusCode: 404, title: "Member not found", type: Problems.MemberNotFound),
            1 => TypedResults.Ok(MemberResponse.From(found[0], program, time.GetUtcNow())),
            _ => SharedPhone(found),
        };
    }

    private static ProblemHttpResult SharedPhone(IReadOnlyList<StoredMember> members) => TypedResults.Problem(
        $"{members.Count} members have this phone number; find the member by card or by id.",
        statusCode: 409,
        title: "Phone number shared",
        type: Problems.TypeOf("phone-shared"),
        extensions: new Dictionary<string, object?> { ["memberIds"] = members.Select(m => m.Id.Value).ToArray() });

    private static async Task<Results<Ok<LedgerPage>, ProblemHttpResult>> GetLedger(
        string memberId, string? limit, string? continuation, MemberStore store, CancellationToken ct)
    {
        var v = new Validator();
        var id = v.Id<MemberId>("memberId", memberId);
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
        var member = id!.Value;
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

    // The request's trace id where it fits a row key (ASP.NET Core's "0HN…:00000001" does once reduced), else a new id.
    private static string ConsentRequestId(HttpContext http)
    {
        var kept = new string([.. http.TraceIdentifier.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')]);
        return Ids.IsValid(kept) ? kept + "-" + Guid.NewGuid().ToString("N")[..8] : Guid.NewGuid().ToString("N");
    }

    private static ProblemHttpResult InvalidId() =>
        Problems.Invalid("memberId", $"Must be {Ids.Rule}.");
}
