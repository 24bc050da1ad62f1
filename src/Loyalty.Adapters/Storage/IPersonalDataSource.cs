using System.Text.Json.Nodes;
using Loyalty.Domain;

namespace Loyalty.Adapters.Storage;

/// <summary>Personal data about a member kept outside their partition, such as the outreach outbox (messages sent,
/// with the phone number they went to). Register each store as an <see cref="IPersonalDataSource"/> singleton: the
/// export (<c>GET /api/members/{id}/export</c>) includes what it returns under <see cref="Section"/>, and erasure
/// (<c>DELETE /api/members/{id}</c>) calls <see cref="EraseAsync"/>, without either needing to change.</summary>
public interface IPersonalDataSource
{
    /// <summary>The property name of its section in the export, e.g. <c>outreach</c>.</summary>
    string Section { get; }

    /// <summary>What it holds about the member, as JSON (the handler serializes nothing by reflection: Native AOT).</summary>
    Task<JsonNode?> ExportAsync(MemberId member, CancellationToken ct);

    /// <summary>Deletes or anonymises what it holds about the member. Called on every erasure request, after the member
    /// row is anonymised (so it must find the data by member id, and be idempotent: a repeated or resumed erasure calls it again).</summary>
    Task EraseAsync(MemberId member, CancellationToken ct);
}
