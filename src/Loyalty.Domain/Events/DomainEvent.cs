namespace Loyalty.Domain.Events;

/// <summary>A kind of event the program publishes: its CloudEvents <c>type</c> (<c>loyalty.&lt;noun&gt;.&lt;verb&gt;</c>), the
/// record its <c>data</c> is, and what it means. The catalogue (<see cref="EventCatalog"/>) lists every kind once; the
/// AsyncAPI document is generated from it.</summary>
public sealed record EventKind(string Type, Type Data, string Summary);

/// <summary>An event of a change to one member, as the domain decides it. Its data carries ids and figures only: never
/// a name, phone number, birthday, free text or a referrer, so that nothing personal outlives an erasure in an event.
/// Where it goes, its id and its sequence number are the storage adapter's (it writes it in the change's own
/// transaction).</summary>
public sealed record DomainEvent
{
    public DomainEvent(EventKind kind, object data)
    {
        if (data.GetType() != kind.Data)
        {
            throw new ArgumentException($"{kind.Type} carries {kind.Data.Name}, not {data.GetType().Name}.", nameof(data));
        }

        (Kind, Data) = (kind, data);
    }

    public EventKind Kind { get; }

    public string Type => Kind.Type;

    public object Data { get; }
}
