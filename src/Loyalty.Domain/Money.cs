using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Loyalty.Domain;

/// <summary>An ISO 4217 currency with the number of digits after the decimal point it uses.</summary>
public readonly record struct Currency
{
    private Currency(string code, int minorUnits) => (Code, MinorUnits) = (code, minorUnits);

    public string Code { get; }

    public int MinorUnits { get; }

    // Active ISO 4217 codes and their minor units (ISO 4217 amendment list, 2024).
    private static readonly FrozenDictionary<string, int> Known = BuildTable(
        "0:BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
        "3:BHD IQD JOD KWD LYD OMR TND",
        "4:CLF UYW",
        "2:AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF " +
        "CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD " +
        "HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU " +
        "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG " +
        "SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VES VED WST " +
        "XCD XCG YER ZAR ZMW ZWG");

    private static FrozenDictionary<string, int> BuildTable(params string[] groups) =>
        groups.SelectMany(g => g[2..].Split(' ').Select(code => KeyValuePair.Create(code, g[0] - '0')))
            .ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Parses an upper-case ISO 4217 code.</summary>
    public static bool TryParse([NotNullWhen(true)] string? code, out Currency currency)
    {
        if (code is not null && Known.TryGetValue(code, out var minor))
        {
            currency = new Currency(code, minor);
            return true;
        }

        currency = default;
        return false;
    }

    public static Currency Parse(string code) =>
        TryParse(code, out var c) ? c : throw new FormatException($"'{code}' is not an ISO 4217 currency code.");

    /// <summary>Whether the amount has no more decimal places than the currency allows.</summary>
    public bool Allows(decimal amount) => decimal.Round(amount, MinorUnits) == amount;

    public override string ToString() => Code;
}

/// <summary>An amount of money in a currency.</summary>
public readonly record struct Money(decimal Amount, Currency Currency)
{
    public override string ToString() => $"{Amount} {Currency.Code}";
}
