import { Link } from 'react-router-dom';
import { EmptyView } from '../components/StateViews';

export function NotFoundPage() {
  return (
    <EmptyView title="There is no page here.">
      <Link to="/">Go to the overview</Link>
    </EmptyView>
  );
}
