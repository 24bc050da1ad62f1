using RequiredAttribute = System.ComponentModel.DataAnnotations.RequiredAttribute;
using Loyalty.Domain;
using Loyalty.Domain.Program;
using Loyalty.Domain.Operations;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Purchases;

/// <summary>A purchase as storefronts post it and order systems enqueue it.</summary>
public sealed record PurchaseRequest(
    [property: Required] string? PurchaseId,
    [property: Required] string? MemberId,
    [property: Required] decimal? Amount,
    [property: Required] string? Currency,
    [property: Required] string? OccurredAt,
    string? StoreId,
    IReadOnlyList<PurchaseLineRequest>? Lines)
{
    public const int MaxLines = 100;
    public const decimal MaxQuantity = 1_000_000;

    /// <summary>Turns the request into a purchase the program accepts, or records in <paramref name="v"/> why not.</summary>
    public Purchase? ToPurchase(Validator v, ProgramDefinition program, DateTimeOffset now)
    {
        var purchaseId = v.Id<OperationId>("purchaseId", PurchaseId);
        var memberId = v.Id<Domain.MemberId>("memberId", MemberId);
        var money = ParseMoney(v, program);
        var occurredAt = v.Timestamp("occurredAt", OccurredAt, now);
        var storeId = v.IdText("storeId", StoreId, required: false);
        var lines = ParseLines(v, money);
        return v.HasErrors
            ? null
            : new Purchase(purchaseId!.Value, memberId!.Value, money!.Value, occurredAt!.Value, storeId, lines);
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

    // Lines describe the purchase; they cannot be worth more than it, or a promotion on a category could pay out
    // points for money that was never spent.
    private List<PurchaseLine> ParseLines(Validator v, Money? money)
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

        var valid = true;
        for (var i = 0; i < Lines.Count; i++)
        {
            var field = $"lines[{i}]";
            if (Lines[i] is not { } line)
            {
                v.Add(field, "Must be an object.");
                valid = false;
                continue;
            }

            var sku = v.Text($"{field}.sku", line.Sku, 64, required: true);
            var category = v.Text($"{field}.category", line.Category, 64);
            var ok = sku is not null;
            if (line.Quantity is not > 0 || line.Quantity > MaxQuantity)
            {
                v.Add($"{field}.quantity", $"Must be greater than zero and at most {MaxQuantity}.");
                ok = false;
            }

            if (line.Amount is not >= 0)
            {
                v.Add($"{field}.amount", line.Amount is null ? "Required." : "Must be zero or more.");
                ok = false;
            }
            else if (money is { } m && !m.Currency.Allows(line.Amount.Value))
            {
                v.Add($"{field}.amount", $"{m.Currency.Code} amounts have at most {m.Currency.MinorUnits} decimal places.");
                ok = false;
            }
            else if (money is { } total && line.Amount > total.Amount)
            {
                v.Add($"{field}.amount", $"Must be at most the purchase amount ({total.Amount} {total.Currency.Code}).");
                ok = false;
            }

            if (ok)
            {
                lines.Add(new PurchaseLine(sku!, category, line.Quantity!.Value, line.Amount!.Value));
            }

            valid &= ok;
        }

        var sum = lines.Sum(l => l.Amount);
        if (valid && money is { } purchase && sum > purchase.Amount)
        {
            v.Add("lines", $"The line amounts add up to {sum} {purchase.Currency.Code}, more than the purchase amount ({purchase.Amount} {purchase.Currency.Code}).");
        }

        return lines;
    }
}

public sealed record PurchaseLineRequest([property: Required] string? Sku, string? Category, [property: Required] decimal? Quantity, [property: Required] decimal? Amount);
