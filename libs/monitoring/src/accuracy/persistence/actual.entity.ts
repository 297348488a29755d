import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One actual (observed outcome) of a deployment, keyed by the association id the client sent.
 * `predictionId` is null while no prediction of the deployment has that id ("unmatched"); such
 * rows are matched when the prediction shows up in the log later. Written with plain SQL in
 * batches (see ActualsService); the entity is for reads.
 */
@Entity({ name: 'actuals' })
export class ActualEntity {
  @PrimaryColumn({ type: 'bigint', generated: 'identity' }) id!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'association_id', type: 'text' }) associationId!: string;
  @Column({ name: 'row_index', type: 'integer' }) rowIndex!: number;
  @Column({ name: 'prediction_id', type: 'uuid', nullable: true }) predictionId!: string | null;
  /** The matched prediction's received_at (copied, so windows read actuals by prediction time without a join). */
  @Column({ name: 'prediction_received_at', type: 'timestamptz', nullable: true }) predictionReceivedAt!: Date | null;
  @Column({ name: 'value_number', type: 'double precision', nullable: true }) valueNumber!: number | null;
  @Column({ name: 'value_label', type: 'text', nullable: true }) valueLabel!: string | null;
  @Column({ name: 'actual_at', type: 'timestamptz', nullable: true }) actualAt!: Date | null;
  @Column({ name: 'received_at', type: 'timestamptz' }) receivedAt!: Date;
  @Column({ name: 'submitted_by', type: 'uuid', nullable: true }) submittedBy!: string | null;
}
