//! The Fluent catalogues, parsed once from the files embedded at compile time.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::FluentResource;

use super::Lang;

/// Each language's catalogue source, as compiled in: the console's texts, then the capture page's.
pub(super) fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => {
            concat!(include_str!("../../locales/en/console.ftl"), "\n", include_str!("../../locales/en/capture.ftl"))
        }
        Lang::Ru => {
            concat!(include_str!("../../locales/ru/console.ftl"), "\n", include_str!("../../locales/ru/capture.ftl"))
        }
        Lang::Kk => {
            concat!(include_str!("../../locales/kk/console.ftl"), "\n", include_str!("../../locales/kk/capture.ftl"))
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<[Bundle; 3]> = LazyLock::new(|| Lang::ALL.map(bundle));

fn bundle(lang: Lang) -> Bundle {
    let locale = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![locale]);
    // Plain text into HTML: no Unicode isolation marks around placeholders.
    bundle.set_use_isolating(false);
    // A malformed entry is skipped (the rest still load); the catalogue tests refuse any.
    let resource = FluentResource::try_new(source(lang).to_owned()).unwrap_or_else(|(partial, errors)| {
        tracing::error!(lang = lang.code(), errors = errors.len(), "message catalogue has syntax errors");
        partial
    });
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.code(), errors = errors.len(), "message catalogue has duplicate keys");
    }
    bundle
}

fn of(lang: Lang) -> &'static Bundle {
    let [en, ru, kk] = &*BUNDLES;
    match lang {
        Lang::En => en,
        Lang::Ru => ru,
        Lang::Kk => kk,
    }
}

pub(super) fn has(lang: Lang, key: &str) -> bool {
    of(lang).has_message(key)
}

fn format(lang: Lang, key: &str) -> Option<String> {
    let bundle = of(lang);
    let pattern = bundle.get_message(key)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, None, &mut errors);
    errors.is_empty().then(|| text.into_owned())
}

pub(super) fn text(lang: Lang, key: &str) -> String {
    format(lang, key).or_else(|| format(Lang::En, key)).unwrap_or_else(|| key.to_owned())
}
