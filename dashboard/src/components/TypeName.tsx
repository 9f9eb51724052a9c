import { useTypeColors } from './TypeColors';

/** An event type's name with its swatch: the same colour as its line on every chart. */
export function TypeName({ name }: { name: string }) {
  const typeColor = useTypeColors();
  return (
    <span className="nowrap">
      <span className="swatch" style={{ background: typeColor(name) }} aria-hidden="true" />
      {name}
    </span>
  );
}
