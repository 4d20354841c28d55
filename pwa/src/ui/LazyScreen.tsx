import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ScreenProps } from '../app/areas';
import type { ScreenDef } from '../app/screens';
import { useT } from '../i18n';

const loaded = new Map<string, ComponentType<ScreenProps>>();

/** Loads a screen's module on first use (import()), then renders it. */
export function LazyScreen({ def, param }: { def: ScreenDef; param: string }) {
  const t = useT();
  const [Comp, setComp] = useState<ComponentType<ScreenProps> | null>(() => loaded.get(def.id) ?? null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const hit = loaded.get(def.id);
    if (hit) {
      setComp(() => hit);
      return;
    }
    let live = true;
    def
      .load()
      .then((m) => {
        loaded.set(def.id, m.default);
        if (live) setComp(() => m.default);
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [def]);
  if (failed) return <p class="notice notice-error">{t('app.screenLoadFailed')}</p>;
  if (!Comp) return <p class="muted" aria-busy="true">{t('app.loading')}</p>;
  return <Comp param={param} />;
}
