using System.Globalization;
using Azure.Data.Tables;
using Loyalty.Domain;

namespace Loyalty.Adapters.Storage;

/// <summary>One access to or change of a member's personal data: who (the caller's own name for themselves), what,
/// when and with what outcome. Holds no personal data of the member beyond their id.</summary>
public sealed record AuditEntry(MemberId Member, string Action, string Actor, string Outcome, string RequestId, DateTimeOffset At);

/// <summary>The <c>audit</c> table: one partition per member, so that "who saw or erased this member's data" is one
/// partition read; rows sort by time.</summary>
public sealed class AuditLog(TableServiceClient service)
{
    private TableClient Table { get; } = service.GetTableClient(Tables.Audit);

    public Task RecordAsync(AuditEntry entry, CancellationToken ct) =>
        Table.AddEntityAsync(
            new TableEntity(entry.Member.Value, $"{entry.At.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfffffff'Z'", CultureInfo.InvariantCulture)}|{Guid.NewGuid():N}")
            {
                ["Action"] = entry.Action,
                ["Actor"] = entry.Actor,
                ["Outcome"] = entry.Outcome,
                ["RequestId"] = entry.RequestId,
                ["At"] = entry.At,
            },
            ct);

    /// <summary>The member's audit trail, oldest first (entries of the same instant in no particular order).</summary>
    public async Task<IReadOnlyList<AuditEntry>> ForMemberAsync(MemberId member, CancellationToken ct)
    {
        var entries = new List<AuditEntry>();
        await foreach (var row in Table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {member.Value}"), cancellationToken: ct))
        {
            entries.Add(new AuditEntry(
                member,
                row.GetString("Action") ?? "",
                row.GetString("Actor") ?? "",
                row.GetString("Outcome") ?? "",
                row.GetString("RequestId") ?? "",
                row.GetDateTimeOffset("At") ?? default));
        }

        return entries;
    }
}
