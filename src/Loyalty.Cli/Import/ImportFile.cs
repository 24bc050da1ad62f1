using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Loyalty.Adapters.Json;
using Loyalty.Domain;
using Loyalty.Domain.Ledger;
using Loyalty.Domain.Members;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;
using Loyalty.Functions.Members;
using Loyalty.Functions.Purchases;
using Microsoft.AspNetCore.Http;
using nietras.SeparatedValues;

namespace Loyalty.Cli.Import;

/// <summary>The import's row type as JSON, the serializer's code generated at build time like the API's.</summary>
[JsonSerializable(typeof(MemberRow))]
internal sealed partial class ImportJson : JsonSerializerContext;

/// <summary>A member row as the file gives it, before validation: the profile fields of <c>PUT /api/members/{id}</c>
/// and the account of the old system. CSV cells and JSON-lines properties both become one of these.</summary>
internal sealed record MemberRow(
    string? MemberId,
    string? FirstName,
    string? Phone,
    string? Birthday,
    string? Locale,
    string? TimeZone,
    bool? SmsOptIn,
    [property: JsonConverter(typeof(WholeNumberConverter))] long? OpeningBalance,
    IReadOnlyList<LotRow?>? Lots,
    string? Tier,
    string? EnrolledAt);

/// <summary>An opening lot: its points and the day they expire (null or absent: never).</summary>
internal sealed record LotRow(string? ExpiresOn, [property: JsonConverter(typeof(WholeNumberConverter))] long? Points);

/// <summary>A valid member of the file, with the valid purchases that name them.</summary>
/// <param name="Undated">An opening balance given as one number: its points expire like points earned on the import day.</param>
internal sealed record MemberImport(int Line, MemberId Id, MemberProfile Profile, IReadOnlyList<Lot> Lots, Points Undated, string? Tier, DateTimeOffset? EnrolledAt)
{
    public List<PurchaseImport> Purchases { get; } = [];
}

internal sealed record PurchaseImport(int Line, Purchase Purchase);

/// <summary>A row that is not imported: where it is (<see cref="Purchases"/>: in the purchases file) and why, as one
/// field and reason each. No value of the row is repeated: the report holds no personal data.</summary>
internal sealed record Rejection(int Line, bool Purchases, IReadOnlyList<(string Field, string Reason)> Faults)
{
    public Rejection(int line, bool purchases, string field, string reason)
        : this(line, purchases, [(field, reason)])
    {
    }

    /// <summary>The report's line: the line number, then each field (those of the purchases file as
    /// <c>purchases.field</c>) with its reason.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Line} {string.Join("; ", Faults.Select(f => $"{(Purchases ? "purchases." : "")}{f.Field}: {f.Reason.TrimEnd('.')}"))}.");
}

/// <summary>The members and purchases files read and checked, every row, before anything is written: the members that
/// can be imported (each with all of their purchases) and the rows that cannot. A member is imported whole or not at
/// all, so a member row is rejected with any of its purchases, and a purchase with its member.</summary>
internal sealed class ImportFile
{
    /// <summary>The columns a members CSV may have (case does not matter); <c>memberId</c> and one of
    /// <c>openingBalance</c> or <c>lots</c> are required.</summary>
    public static readonly ImmutableArray<string> Columns =
        ["memberId", "firstName", "phone", "birthday", "locale", "timeZone", "smsOptIn", "openingBalance", "lots", "tier", "enrolledAt"];

    private ImportFile(IReadOnlyList<MemberImport> members, IReadOnlyList<Rejection> rejections, int purchaseRows) =>
        (Members, Rejections, PurchaseRows) = (members, rejections, purchaseRows);

    public IReadOnlyList<MemberImport> Members { get; }

    public IReadOnlyList<Rejection> Rejections { get; }

    public int PurchaseRows { get; }

    /// <summary>Reads both files. A file that cannot be read at all (missing, no header, an unknown column) throws
    /// <see cref="InvalidOperationException"/> naming the file and the fault; a bad row is a rejection.</summary>
    public static async Task<ImportFile> ReadAsync(string membersPath, string? purchasesPath, ProgramDefinition program, DateTimeOffset now, CancellationToken ct)
    {
        var rows = await ReadMembersAsync(membersPath, ct);
        var rejected = new List<Rejection>();
        var valid = new List<MemberImport>();
        var lines = new Dictionary<MemberId, List<int>>();
        foreach (var (line, row, faults) in rows)
        {
            var v = new Validator();
            foreach (var (field, reason) in faults)
            {
                v.Add(field, reason);
            }

            if (Validate(line, row, faults.Any(f => f.Field == "openingBalance"), v, program, now) is { } member)
            {
                valid.Add(member);
                AddLine(lines, member.Id, line);
            }
            else
            {
                rejected.Add(Reject(line, purchases: false, v));
            }
        }

        // A member id twice in the file: which row is right is the operator's call, so neither is imported.
        var duplicated = lines.Where(l => l.Value.Count > 1).ToDictionary(l => l.Key, l => l.Value);
        foreach (var member in valid.Where(m => duplicated.ContainsKey(m.Id)))
        {
            var others = duplicated[member.Id].Where(l => l != member.Line).Select(l => l.ToString(CultureInfo.InvariantCulture));
            rejected.Add(new Rejection(member.Line, false, "memberId", $"The same member is also on line {string.Join(", ", others)}; each member is imported from one row."));
        }

        var byId = valid.Where(m => !duplicated.ContainsKey(m.Id)).ToDictionary(m => m.Id);
        var purchaseRows = 0;
        if (purchasesPath is not null)
        {
            purchaseRows = await ReadPurchasesAsync(purchasesPath, program, now, byId, rejected, ct);
        }

        return new ImportFile([.. byId.Values.OrderBy(m => m.Line)], [.. rejected.OrderBy(r => r.Purchases).ThenBy(r => r.Line)], purchaseRows);
    }

    private static void AddLine(Dictionary<MemberId, List<int>> lines, MemberId id, int line)
    {
        if (!lines.TryGetValue(id, out var list))
        {
            lines[id] = list = [];
        }

        list.Add(line);
    }

    /// <param name="balanceFault">The cell of the opening balance was there but not a number (already reported).</param>
    private static MemberImport? Validate(int line, MemberRow row, bool balanceFault, Validator v, ProgramDefinition program, DateTimeOffset now)
    {
        var id = v.Id<MemberId>("memberId", row.MemberId);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var request = new MemberRequest(row.Phone, row.FirstName, row.Birthday, row.Locale, row.TimeZone, row.SmsOptIn, ReferredBy: null);
        var profile = request.ToProfile(v, today);
        var (lots, undated) = Opening(row, balanceFault, v);
        string? tier = null;
        if (row.Tier is { Length: > 0 } t)
        {
            tier = program.Tiers.Find(t)?.Id;
            if (tier is null)
            {
                v.Add("tier", program.Tiers.Levels.Count == 0
                    ? "The program has no tiers."
                    : $"Must be a tier of the program: {string.Join(", ", program.Tiers.Levels.Select(l => l.Id))}.");
            }
        }

        var enrolledAt = EnrolledAt(row.EnrolledAt, v, now);
        return v.HasErrors ? null : new MemberImport(line, id!.Value, profile!, lots, undated, tier, enrolledAt);
    }

    // The opening balance is the member's whole balance in the old system: as dated lots, or as one number whose points
    // expire like points earned on the import day.
    private static (List<Lot> Lots, Points Undated) Opening(MemberRow row, bool balanceFault, Validator v)
    {
        var lots = new List<Lot>();
        if (row.Lots is { Count: > 0 } given)
        {
            if (given.Count > ImportAccount.MaxLots)
            {
                v.Add("lots", $"At most {ImportAccount.MaxLots} lots; merge lots that expire in the same week.");
                return (lots, Points.Zero);
            }

            var days = new HashSet<DateOnly?>();
            foreach (var (lot, i) in given.Select((l, i) => (l, i)))
            {
                DateOnly? expires = null;
                if (lot?.ExpiresOn is { Length: > 0 } text && text != "never")
                {
                    if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    {
                        v.Add("lots", $"Lot {i + 1}: the expiry must be a date as YYYY-MM-DD, or never.");
                        continue;
                    }

                    expires = day;
                }

                if (lot?.Points is not ({ } points and > 0 and <= ImportAccount.MaxPoints))
                {
                    v.Add("lots", $"Lot {i + 1}: the points must be a whole number from 1 to {ImportAccount.MaxPoints}.");
                }
                else if (!days.Add(expires))
                {
                    v.Add("lots", $"Lot {i + 1}: another lot expires on the same day; give each day once.");
                }
                else
                {
                    lots.Add(new Lot(expires, new Points(points)));
                }
            }

            var sum = lots.Sum(l => l.Remaining.Value);
            if (sum > ImportAccount.MaxPoints)
            {
                v.Add("lots", $"The lots add up to more than {ImportAccount.MaxPoints} points.");
            }
            else if (row.OpeningBalance is { } balance && balance != sum && !v.HasErrors)
            {
                v.Add("openingBalance", $"Must equal the sum of the lots ({sum}), or be left empty.");
            }

            return ([.. lots.OrderBy(l => l, Comparer<Lot>.Create(Lot.CompareByExpiry))], Points.Zero);
        }

        switch (row.OpeningBalance)
        {
            case null when !balanceFault:
                v.Add("openingBalance", "Required: the member's balance in the old system (0 for none), or give lots.");
                break;
            case < 0:
                v.Add("openingBalance", "Must not be negative: settle a negative balance in the old system, or import 0 and adjust it.");
                break;
            case > ImportAccount.MaxPoints:
                v.Add("openingBalance", $"Must be at most {ImportAccount.MaxPoints}.");
                break;
            case { } balance:
                return (lots, new Points(balance));
        }

        return (lots, Points.Zero);
    }

    private static DateTimeOffset? EnrolledAt(string? text, Validator v, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.Length == 10)
        {
            if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && day.Year >= 1900 && day <= DateOnly.FromDateTime(now.UtcDateTime))
            {
                return new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            }

            v.Add("enrolledAt", "Must be a date from 1900-01-01 to today as YYYY-MM-DD, or an ISO 8601 timestamp with an offset.");
            return null;
        }

        return v.Timestamp("enrolledAt", text, now);
    }

    private static async Task<int> ReadPurchasesAsync(
        string path, ProgramDefinition program, DateTimeOffset now, Dictionary<MemberId, MemberImport> members, List<Rejection> rejected, CancellationToken ct)
    {
        var rows = 0;
        var ids = new Dictionary<OperationId, int>();
        var bad = new List<(MemberId Member, int Line)>();
        foreach (var (line, text) in Lines(await ReadTextAsync(path, ct)))
        {
            rows++;
            var (request, faults) = Parse<PurchaseRequest>(text);
            var v = new Validator();
            foreach (var (field, reason) in faults)
            {
                v.Add(field, reason);
            }

            var purchase = request?.ToPurchase(v, program, now);
            if (purchase is not null && ids.TryGetValue(purchase.PurchaseId, out var first))
            {
                v.Add("purchaseId", $"Also on line {first}: purchase ids are unique in the program.");
            }

            if (purchase is not null && !members.ContainsKey(purchase.MemberId))
            {
                v.Add("memberId", "Not a member this import imports (not in the members file, or its row was rejected).");
            }

            if (purchase is null || v.HasErrors)
            {
                rejected.Add(Reject(line, purchases: true, v));
                if (MemberId.TryParse(request?.MemberId, out var owner) && members.ContainsKey(owner))
                {
                    bad.Add((owner, line));
                }

                continue;
            }

            ids[purchase.PurchaseId] = line;
            members[purchase.MemberId].Purchases.Add(new PurchaseImport(line, purchase));
        }

        // A member is imported with all of their purchases or not at all.
        foreach (var group in bad.GroupBy(b => b.Member))
        {
            var member = members[group.Key];
            members.Remove(group.Key);
            var lines = string.Join(", ", group.Select(b => b.Line.ToString(CultureInfo.InvariantCulture)));
            rejected.Add(new Rejection(member.Line, false, "purchases", $"The purchases file rejects line {lines} of this member's purchases: a member is imported with all of them or not at all."));
            rejected.AddRange(member.Purchases.Select(p => new Rejection(p.Line, true, "memberId", $"The member's purchase on line {lines} is rejected, so the member (line {member.Line} of the members file) is not imported.")));
        }

        return rows;
    }

    private static Rejection Reject(int line, bool purchases, Validator v) =>
        new(line, purchases, [.. v.Errors.SelectMany(e => e.Value.Select(reason => (e.Key, reason)))]);

    private static async Task<List<(int Line, MemberRow Row, List<(string Field, string Reason)> Faults)>> ReadMembersAsync(string path, CancellationToken ct)
    {
        var text = await ReadTextAsync(path, ct);
        if (!text.TrimStart().StartsWith('{'))
        {
            return ReadCsv(path, text);
        }

        return [.. Lines(text).Select(l =>
        {
            var (row, faults) = Parse<MemberRow>(l.Text);
            return (l.Line, row ?? Empty, faults);
        })];
    }

    private static readonly MemberRow Empty = new(null, null, null, null, null, null, null, null, null, null, null);

    private static List<(int, MemberRow, List<(string, string)>)> ReadCsv(string path, string text)
    {
        using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true, ColNameComparer = StringComparer.OrdinalIgnoreCase }).FromText(text);
        if (reader.Header.IsEmpty)
        {
            throw new InvalidOperationException($"{path}: the first line must name the columns, e.g. {string.Join(',', Columns.Take(8))}.");
        }

        var unknown = reader.Header.ColNames.Where(c => !Columns.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException($"{path}: unknown column {string.Join(", ", unknown.Select(c => $"'{c}'"))}; the columns are {string.Join(", ", Columns)}.");
        }

        if (!reader.Header.TryIndexOf("memberId", out _) || (!reader.Header.TryIndexOf("openingBalance", out _) && !reader.Header.TryIndexOf("lots", out _)))
        {
            throw new InvalidOperationException($"{path}: the header must name memberId and openingBalance (or lots).");
        }

        var index = Columns.ToDictionary(c => c, c => reader.Header.TryIndexOf(c, out var i) ? i : -1, StringComparer.Ordinal);
        var rows = new List<(int, MemberRow, List<(string, string)>)>();
        foreach (var row in reader)
        {
            if (row.ColCount == 1 && row[0].Span.IsWhiteSpace())
            {
                continue;
            }

            var faults = new List<(string, string)>();
            if (row.ColCount != reader.Header.ColNames.Count)
            {
                faults.Add(("row", $"Has {row.ColCount} cells; the header names {reader.Header.ColNames.Count} columns."));
                rows.Add((row.LineNumberFrom, Empty, faults));
                continue;
            }

            var cells = new string?[Columns.Length];
            for (var c = 0; c < Columns.Length; c++)
            {
                cells[c] = index[Columns[c]] is >= 0 and var i && row[i].ToString() is { Length: > 0 } value ? value : null;
            }

            string? Cell(string column) => cells[Columns.IndexOf(column)];
            rows.Add((row.LineNumberFrom, new MemberRow(
                Cell("memberId"),
                Cell("firstName"),
                Cell("phone"),
                Cell("birthday"),
                Cell("locale"),
                Cell("timeZone"),
                Flag(Cell("smsOptIn"), faults),
                WholeNumber("openingBalance", Cell("openingBalance"), faults),
                LotsOf(Cell("lots"), faults),
                Cell("tier"),
                Cell("enrolledAt")), faults));
        }

        return rows;
    }

    private static bool? Flag(string? text, List<(string, string)> faults)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "":
                return null;
            case "true" or "yes" or "1":
                return true;
            case "false" or "no" or "0":
                return false;
            default:
                faults.Add(("smsOptIn", "Must be true or false."));
                return null;
        }
    }

    private static long? WholeNumber(string field, string? text, List<(string, string)> faults)
    {
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        faults.Add((field, "Must be a whole number of points, without separators."));
        return null;
    }

    // "2027-03-31=120;2027-06-30=80;never=20", as the member row keeps lots.
    private static List<LotRow?>? LotsOf(string? text, List<(string, string)> faults)
    {
        if (text is null)
        {
            return null;
        }

        var lots = new List<LotRow?>();
        foreach (var part in text.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2)
            {
                faults.Add(("lots", "Must be a list of expiry=points, e.g. 2027-03-31=120;never=20."));
                return null;
            }

            lots.Add(new LotRow(pair[0], WholeNumber("lots", pair[1], faults)));
        }

        return lots;
    }

    // As the API reads a body, with the import's own row type beside the API's.
    private static readonly JsonSerializerOptions RowJson = new(JsonBody.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ImportJson.Default, JsonBody.Options.TypeInfoResolver),
    };

    private static (T? Value, List<(string Field, string Reason)> Faults) Parse<T>(string json)
        where T : class
    {
        var (value, problem) = JsonBody.Parse(Encoding.UTF8.GetBytes(json), type: RowJson.For<T>());
        var faults = (problem?.ProblemDetails as HttpValidationProblemDetails)?.Errors
            .SelectMany(e => e.Value.Select(reason => (e.Key, reason))).ToList() ?? [];
        if (problem is not null && faults.Count == 0)
        {
            faults.Add(("row", problem.ProblemDetails.Detail ?? "Not a JSON object of the expected shape."));
        }

        return (value, faults);
    }

    private static async Task<string> ReadTextAsync(string path, CancellationToken ct)
    {
        try
        {
            return await File.ReadAllTextAsync(path, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{path} cannot be read: {e.Message}", e);
        }
    }

    // Non-blank lines with their numbers (1-based).
    private static List<(int Line, string Text)> Lines(string text) =>
        [.. text.Split('\n')
            .Select((text, i) => (Line: i + 1, Text: text.TrimEnd('\r')))
            .Where(l => !string.IsNullOrWhiteSpace(l.Text))];
}
