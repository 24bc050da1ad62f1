using Loyalty.Domain;
using Loyalty.Domain.Program;
using Loyalty.Domain.Purchases;
using Loyalty.Domain.Rules;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Purchases;

/// <summary>A purchase as storefronts post it and order systems enqueue it.</summary>
public sealed record PurchaseRequest(
    string? PurchaseId,
    string? MemberId,
    decimal? Amount,
    string? Currency,
    string? OccurredAt,
    string? StoreId,
    IReadOnlyList<PurchaseLineRequest>? Lines)
{
    public const int MaxLines = 100;

    /// <summary>Turns the request into a purchase the program accepts, or records in <paramref name="v"/> why not.</summary>
    public Purchase? ToPurchase(Validator v, ProgramDefinition program, DateTimeOffset now)
    {
        var purchaseId = v.Id("purchaseId", PurchaseId);
        var memberId = v.Id("memberId", MemberId);
        var money = ParseMoney(v, program);
        var occurredAt = v.Timestamp("occurredAt", OccurredAt, now);
        var storeId = v.Id("storeId", StoreId, required: false);
        var lines = ParseLines(v);
        return v.HasErrors
            ? null
            : new Purchase(OperationId.Parse(purchaseId!), Domain.MemberId.Parse(memberId!), money!.Value, occurredAt!.Value, storeId, lines);
    }

    private Money? ParseMoney(Validator v, ProgramDefinition program)
    {
        if (v.Required("currency", Currency) is null)
        {
            v.Required("amount", Amount is null ? null : "");
            return null;
        }

        if (!Domain.Currency.TryParse(Currency, out var currency))
        {
            v.Add("currency", "Must be an ISO 4217 currency code in upper case, e.g. USD.");
            return null;
        }

        if (!program.Currencies.TryGetValue(currency.Code, out var rule))
        {
            v.Add("currency", $"This program does not accept {currency.Code}; it accepts {string.Join(", ", program.Currencies.Keys)}.");
            return null;
        }

        switch (Amount)
        {
            case null:
                v.Add("amount", "Required.");
                return null;
            case <= 0:
                v.Add("amount", "Must be greater than zero.");
                return null;
            case var a when a > rule.MaxAmount:
                v.Add("amount", $"Must be at most {rule.MaxAmount} {currency.Code}.");
                return null;
            case var a when !currency.Allows(a.Value):
                v.Add("amount", $"{currency.Code} amounts have at most {currency.MinorUnits} decimal places.");
                return null;
            default:
                return new Money(Amount.Value, currency);
        }
    }

    private List<PurchaseLine> ParseLines(Validator v)
    {
        var lines = new List<PurchaseLine>();
        if (Lines is null)
        {
            return lines;
        }

        if (Lines.Count > MaxLines)
        {
            v.Add("lines", $"At most {MaxLines} lines.");
            return lines;
        }

        for (var i = 0; i < Lines.Count; i++)
        {
            var field = $"lines[{i}]";
            if (Lines[i] is not { } line)
            {
                v.Add(field, "Must be an object.");
                continue;
            }

            var sku = v.Text($"{field}.sku", line.Sku, 64, required: true);
            var category = v.Text($"{field}.category", line.Category, 64);
            if (line.Quantity is not > 0 || line.Quantity > 1_000_000)
            {
                v.Add($"{field}.quantity", "Must be greater than zero and at most 1000000.");
            }

            if (line.Amount is not >= 0 || line.Amount > 1_000_000_000_000m)
            {
                v.Add($"{field}.amount", "Must be zero or more.");
            }

            if (sku is not null && !v.HasErrors)
            {
                lines.Add(new PurchaseLine(sku, category, line.Quantity!.Value, line.Amount!.Value));
            }
        }

        return lines;
    }
}

public sealed record PurchaseLineRequest(string? Sku, string? Category, decimal? Quantity, decimal? Amount);

/// <summary>What recording a purchase gives back, first time and on every replay.</summary>
/// <param name="PointsEarned">Earned and bonus points together; the ledger has one entry each.</param>
/// <param name="Balance">The balance right after this purchase.</param>
/// <param name="Tier">The member's tier after this purchase.</param>
/// <param name="Vouchers">Rewards a spend-threshold rule gave for this purchase.</param>
public sealed record PurchaseResult(string PurchaseId, string MemberId, long PointsEarned, long Balance, string? Tier, IReadOnlyList<VoucherResult> Vouchers);

public sealed record VoucherResult(string RewardId, string Code, string Rule);

/// <summary>What later operations need to know about a recorded purchase: the record returns work from, and the
/// referrer to credit when it was the member's first purchase.</summary>
public sealed record PurchaseDetails(PurchaseRecord Record, string? ReferredBy);
