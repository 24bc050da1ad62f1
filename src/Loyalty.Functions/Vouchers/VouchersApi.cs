using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;
using Loyalty.Adapters.Storage;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Loyalty.Functions.Vouchers;

/// <summary>The body of <c>POST /api/vouchers/{code}/uses</c>.</summary>
public sealed record VoucherUseRequest([property: Required] string? UseId, [property: Required] string? OrderId, string? StoreId);

/// <summary>A voucher as a till or support staff see it.</summary>
/// <param name="Source">What issued it: a spend-threshold rule's id, or the redemption's id.</param>
/// <param name="Status">active, used, expired or void; an active voucher whose day has come shows expired at once.</param>
/// <param name="ExpiresOn">The first day it can no longer be used (UTC).</param>
/// <param name="Use">Where and when it was used, once it is.</param>
public sealed record VoucherResponse(
    string Code,
    string MemberId,
    string RewardId,
    string RewardName,
    string Source,
    [property: ValuesOf(typeof(VoucherStatus))] string Status,
    DateTimeOffset IssuedAt,
    DateOnly? ExpiresOn,
    VoucherUse? Use)
{
    public static VoucherResponse From(MemberId member, Voucher stored, ProgramDefinition program, string locale, DateTimeOffset now)
    {
        var v = stored.At(now);
        var name = program.Rewards.FirstOrDefault(r => r.Id == v.RewardId)?.NameIn(locale) ?? v.RewardId;
        return new VoucherResponse(v.Code, member.Value, v.RewardId, name, v.Source, Name(v.Status), v.IssuedAt, v.ExpiresOn, v.Use);
    }

    public static string Name(VoucherStatus status) => status.ToString().ToLowerInvariant();
}

public static class VouchersApi
{
    public static IEndpointRouteBuilder MapVouchersApi(this IEndpointRouteBuilder app)
    {
        var vouchers = app.MapGroup("/vouchers").WithTags("Vouchers").ProducesProblem(StatusCodes.Status404NotFound);
        vouchers.MapGet("/{code}", GetVoucher).WithName("GetVoucher").WithSummary("A voucher by its code: reward, member, status, expiry");
        vouchers.MapPost("/{code}/uses", UseVoucher)
            .WithName("UseVoucher")
            .WithSummary("Use a voucher at a till, once (idempotent by useId)")
            .AcceptsJson<VoucherUseRequest>()
            .ProducesRefusals();
        app.MapGet("/members/{memberId}/vouchers", ListVouchers)
            .WithTags("Vouchers")
            .WithName("ListVouchers")
            .WithSummary("The member's vouchers, newest first; status=active|used|expired|void to filter")
            .DescribesQuery("status", () => ApiContract.OneOf(ApiContract.NamesOf(typeof(VoucherStatus))))
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<VoucherResponse>, ProblemHttpResult>> GetVoucher(
        string code, MemberStore store, ProgramDefinition program, TimeProvider time, CancellationToken ct)
    {
        var v = new Validator();
        var normalised = Code(v, code);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        return await store.FindVoucherAsync(normalised!, ct) is var (member, voucher)
            ? TypedResults.Ok(VoucherResponse.From(member.Id, voucher, program, member.Profile.Locale, time.GetUtcNow()))
            : NotFound();
    }

    private static async Task<Results<Created<VoucherUseResult>, Ok<VoucherUseResult>, ProblemHttpResult>> UseVoucher(
        string code, HttpRequest request, MemberStore store, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<VoucherUseRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var v = new Validator();
        var normalised = Code(v, code);
        var useId = v.Id<OperationId>("useId", body!.UseId);
        var orderId = v.Id<OperationId>("orderId", body.OrderId);
        var storeId = v.IdText("storeId", body.StoreId, required: false);
        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        if (await store.FindVoucherAsync(normalised!, ct) is not var (member, _))
        {
            return NotFound();
        }

        var result = await store.RunAsync(new UseVoucher(useId!.Value, member.Id, normalised!, orderId!.Value, storeId), ct);
        return result.Refusal is VoucherNotFound
            ? NotFound()
            : Problems.Answer(result, $"/api/vouchers/{normalised}", member.Id.Value, "voucher use", useId.Value.Value);
    }

    private static async Task<Results<Ok<IReadOnlyList<VoucherResponse>>, ProblemHttpResult>> ListVouchers(
        string memberId, string? status, MemberStore store, ProgramDefinition program, TimeProvider time, CancellationToken ct)
    {
        var v = new Validator();
        var id = v.Id<MemberId>("memberId", memberId);
        if (status is not null && !Enum.GetValues<VoucherStatus>().Any(s => VoucherResponse.Name(s) == status))
        {
            v.Add("status", "Must be active, used, expired or void.");
        }

        if (v.HasErrors)
        {
            return Problems.Invalid(v.Errors);
        }

        if (await store.GetAsync(id!.Value, ct) is not { } member)
        {
            return Problems.NotFound(memberId);
        }

        var now = time.GetUtcNow();
        IReadOnlyList<VoucherResponse> list = [.. member.Account.Vouchers
            .Select(voucher => VoucherResponse.From(member.Id, voucher, program, member.Profile.Locale, now))
            .Where(r => status is null || r.Status == status)
            .Reverse()];
        return TypedResults.Ok(list);
    }

    // Codes are printed in upper case; a till may send them as typed.
    private static string? Code(Validator v, string code) => v.IdText("code", code)?.ToUpperInvariant();

    private static ProblemHttpResult NotFound() =>
        TypedResults.Problem("No voucher has this code.", statusCode: 404, title: "Voucher not found", type: Problems.TypeOf("voucher-not-found"));
}
