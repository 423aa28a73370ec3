//! Reading the `NAME:VALUE/NAME:VALUE/…` list of a vector against a version's metric table.

use super::{CvssError, FIELD_CLIP, VECTOR_CLIP, clip, invalid};

/// One metric a CVSS version defines: its abbreviation and the values it allows.
pub(super) struct Metric {
    pub name: &'static str,
    pub values: &'static [&'static str],
    /// Base metrics must be given; the others default to "not defined".
    pub mandatory: bool,
}

/// Each metric's value in a vector, as an index into that metric's `values` (`None` when
/// the vector does not give the metric).
pub(super) type Values<const N: usize> = [Option<u8>; N];

/// Reads `fields` (the vector after its `CVSS:x.y/` prefix) against `table`. `vector` is the
/// whole vector, quoted in errors; `version` names the version in them.
pub(super) fn parse<const N: usize>(
    vector: &str,
    fields: &str,
    version: &'static str,
    table: &[Metric; N],
) -> Result<Values<N>, CvssError> {
    if fields.is_empty() {
        return Err(invalid(vector, "it gives no metrics"));
    }
    let mut values: Values<N> = [None; N];
    for field in fields.split('/') {
        if field.is_empty() {
            return Err(invalid(
                vector,
                "it has an empty field (a doubled or trailing \"/\")",
            ));
        }
        let Some((name, value)) = field
            .split_once(':')
            .filter(|(n, v)| !n.is_empty() && !v.is_empty() && !v.contains(':'))
        else {
            let reason = format!("the field {:?} is not NAME:VALUE", clip(field, FIELD_CLIP));
            return Err(invalid(vector, &reason));
        };
        let Some(index) = table.iter().position(|m| m.name == name) else {
            return Err(CvssError::UnknownMetric {
                vector: clip(vector, VECTOR_CLIP),
                version,
                metric: clip(name, FIELD_CLIP),
            });
        };
        let metric = &table[index];
        if values[index].is_some() {
            return Err(CvssError::DuplicateMetric {
                vector: clip(vector, VECTOR_CLIP),
                metric: metric.name,
            });
        }
        let Some(value_index) = metric.values.iter().position(|v| *v == value) else {
            return Err(CvssError::InvalidValue {
                vector: clip(vector, VECTOR_CLIP),
                version,
                metric: metric.name,
                value: clip(value, FIELD_CLIP),
                allowed: metric.values.join(", "),
            });
        };
        // Tables hold a handful of values per metric, so the index fits.
        values[index] = u8::try_from(value_index).ok();
    }
    if let Some(missing) = table
        .iter()
        .zip(&values)
        .find(|(metric, value)| metric.mandatory && value.is_none())
    {
        return Err(CvssError::MissingMetric {
            vector: clip(vector, VECTOR_CLIP),
            version,
            metric: missing.0.name,
        });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: [Metric; 2] = [
        Metric {
            name: "A",
            values: &["X", "Y"],
            mandatory: true,
        },
        Metric {
            name: "B",
            values: &["X", "Long"],
            mandatory: false,
        },
    ];

    fn read(fields: &str) -> Result<Values<2>, CvssError> {
        parse(fields, fields, "test", &TABLE)
    }

    #[test]
    fn reads_values_in_any_order() {
        assert_eq!(read("A:Y").unwrap(), [Some(1), None]);
        assert_eq!(read("B:Long/A:X").unwrap(), [Some(0), Some(1)]);
    }

    #[test]
    fn rejects_malformed_fields() {
        for bad in ["", "/", "A:Y/", "A:Y//B:X", "A", "A:Y:Z", ":", "A:Y/B"] {
            assert!(
                matches!(read(bad), Err(CvssError::Invalid { .. })),
                "{bad:?}: {:?}",
                read(bad)
            );
        }
    }

    #[test]
    fn names_the_offending_metric() {
        assert!(matches!(
            read("A:Y/A:Y"),
            Err(CvssError::DuplicateMetric { metric: "A", .. })
        ));
        assert!(matches!(
            read("A:Y/a:Y"),
            Err(CvssError::UnknownMetric { metric, .. }) if metric == "a"
        ));
        assert!(matches!(
            read("A:y"),
            Err(CvssError::InvalidValue { metric: "A", value, .. }) if value == "y"
        ));
        assert!(matches!(
            read("B:Long"),
            Err(CvssError::MissingMetric { metric: "A", .. })
        ));
    }
}
